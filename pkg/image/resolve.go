package image

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/platformteam/delivery/pkg/artifact"
)

// ErrNotFound means the registry has no manifest for the tag or digest asked for.
var ErrNotFound = errors.New("manifest not found")

// Resolved is a registry-confirmed image.
type Resolved struct {
	// Image is the image as deploys use it: the canonical repository (the published host, not a
	// connection alias), the tag asked for, and the digest the registry reported.
	Image artifact.Pinned `json:"image"`
	// MediaType is the manifest's media type as the registry reported it.
	MediaType string `json:"media_type"`
	Size      int64  `json:"size"`
}

// Confirm cross-checks a pinned image with exactly one HEAD manifest request: by tag when it has one
// (proving the tag points at the digest), else by digest. No polling.
// If reg.Host is set and differs from the image's registry, the request goes to reg.Host (an alias
// for the same registry, e.g. inside a container), while the result keeps the image's repository.
func Confirm(ctx context.Context, reg Registry, p artifact.Pinned) (Resolved, error) {
	repo, err := reg.connect(p.Repository())
	if err != nil {
		return Resolved{}, err
	}
	var ref name.Reference = repo.Digest(p.Digest())
	if p.Tag() != "" {
		ref = repo.Tag(p.Tag())
	}
	desc, err := remote.Head(ref, reg.remoteOptions(ctx)...)
	if err != nil {
		return Resolved{}, describeRegistryError(ref.String(), err)
	}
	if got := desc.Digest.String(); got != p.Digest() {
		return Resolved{}, fmt.Errorf("registry says %s is %s, not %s: the tag moved or the wrong registry was asked; rebuild, or check --registry",
			ref, got, p.Digest())
	}
	return Resolved{Image: p, MediaType: string(desc.MediaType), Size: desc.Size}, nil
}

// ResolveTag returns the digest a tag points at with one HEAD manifest request.
// A missing tag is ErrNotFound (wrapped) with a hint.
func ResolveTag(ctx context.Context, reg Registry, repository, tag string) (Resolved, error) {
	repo, err := reg.connect(repository)
	if err != nil {
		return Resolved{}, err
	}
	if _, err := name.NewTag(repository+":"+tag, name.StrictValidation); err != nil {
		return Resolved{}, fmt.Errorf("tag %q: %w", tag, err)
	}
	ref := repo.Tag(tag)
	desc, err := remote.Head(ref, reg.remoteOptions(ctx)...)
	if err != nil {
		return Resolved{}, describeRegistryError(ref.String(), err)
	}
	img, err := artifact.NewPinned(repository, desc.Digest.String())
	if err == nil {
		img, err = img.WithTag(tag)
	}
	if err != nil {
		return Resolved{}, fmt.Errorf("%s: %w", ref, err)
	}
	return Resolved{Image: img, MediaType: string(desc.MediaType), Size: desc.Size}, nil
}

// connect returns the repository to send requests to: the given one, re-homed on reg.Host when set.
func (r Registry) connect(repository string) (name.Repository, error) {
	host, path, ok := cutHost(repository)
	if !ok {
		return name.Repository{}, fmt.Errorf("repository %q names no registry", repository)
	}
	if r.Host != "" {
		host = r.Host
	}
	c := r
	c.Host = host
	return c.Repository(path)
}

func describeRegistryError(ref string, err error) error {
	var terr *transport.Error
	if errors.As(err, &terr) {
		switch terr.StatusCode {
		case http.StatusNotFound:
			return fmt.Errorf("%s: %w: the build has not pushed it (check the tag, or use wait-for-tag when another pipeline pushes)", ref, ErrNotFound)
		case http.StatusUnauthorized, http.StatusForbidden:
			return fmt.Errorf("%s: registry refused the credentials (%d): log in again (ECR tokens last 12 hours) or check the role's ECR permissions (and, across accounts, the source repository's policy): %w", ref, terr.StatusCode, err)
		}
	}
	return fmt.Errorf("%s: %w", ref, err)
}
