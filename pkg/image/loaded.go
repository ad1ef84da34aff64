package image

import (
	"context"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Loaded is an image read from an OCI layout or tarball before it is pushed: its digest is known, so
// what refers to it (signatures, attestations) can be made and stored first.
type Loaded struct {
	Image  v1.Image
	Digest string
	Source string
	close  func()
}

// Load reads an image as Push does (the same layouts and tarballs). Close removes what it unpacked.
func Load(source string) (*Loaded, error) {
	cleanup := func() {}
	img, digest, err := load(source, &cleanup)
	if err != nil {
		cleanup()
		return nil, err
	}
	return &Loaded{Image: img, Digest: digest, Source: source, close: cleanup}, nil
}

// Close removes the unpacked layout, if any.
func (l *Loaded) Close() {
	if l.close != nil {
		l.close()
	}
}

// PushLoaded is Push for an image already loaded.
func PushLoaded(ctx context.Context, reg Registry, repository, tag string, l *Loaded) (Pushed, error) {
	return write(ctx, reg, repository, tag, l.Digest, l.Source, func(ref name.Tag, opts []remote.Option) error {
		return remote.Write(ref, l.Image, opts...)
	})
}

// Options are the options of every call to this registry (auth, transport, context).
func (r Registry) Options(ctx context.Context) []remote.Option { return r.remoteOptions(ctx) }

// Reach is where this registry reaches a repository given by its own name (this registry's host, an
// alias inside a container) and the options of every call, for libraries that read and write next to
// an image (the supply chain's signatures and attestations).
func (r Registry) Reach(ctx context.Context, repository name.Repository) (name.Repository, []remote.Option, error) {
	repo, err := r.connect(repository.Name())
	if err != nil {
		return name.Repository{}, nil, err
	}
	return repo, r.remoteOptions(ctx), nil
}
