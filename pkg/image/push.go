package image

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/platformteam/delivery/pkg/artifact"
)

// Pushed is the result of Push and Copy: the registry-confirmed image and where it came from.
type Pushed struct {
	Resolved
	// Source is the image's origin: a layout or tarball path, or the pinned reference copied.
	Source string `json:"source"`
	// Existed is true when the tag already held this digest, so nothing was uploaded: tags are
	// immutable (ECR repositories are IMMUTABLE), and writing the same digest again is a no-op.
	Existed bool `json:"existed"`
}

// TagConflictError is a push or copy to a tag that already holds another digest. Tags are immutable:
// nothing was written.
type TagConflictError struct {
	// Ref is <repository>:<tag>.
	Ref      string
	Existing string
	Want     string
}

func (e *TagConflictError) Error() string {
	return fmt.Sprintf("tag %s already holds %s, not %s: tags are immutable, so nothing was pushed; "+
		"this commit was published before with another build: deploy that image (its artifact.json), or commit the change so it gets its own tag",
		e.Ref, e.Existing, e.Want)
}

// Push uploads an image built elsewhere (an OCI layout directory, an OCI layout tarball, or a
// `docker save` tarball) to repository:tag in reg. When the tag already holds the same digest nothing
// is uploaded; when it holds another one the push is refused (*TagConflictError). The digest is the
// one of the manifest pushed, cross-checked with one HEAD request on the tag; nothing polls.
func Push(ctx context.Context, reg Registry, repository, tag, source string) (Pushed, error) {
	if _, err := os.Stat(source); err != nil {
		return Pushed{}, fmt.Errorf("image source %s: %w (pass an OCI layout directory or an image tarball)", source, err)
	}
	cleanup := func() {}
	defer func() { cleanup() }()
	img, digest, err := load(source, &cleanup)
	if err != nil {
		return Pushed{}, err
	}
	return write(ctx, reg, repository, tag, digest, source, func(ref name.Tag, opts []remote.Option) error {
		return remote.Write(ref, img, opts...)
	})
}

// Copy copies the image pinned by from (read through src) to repository:<from's tag> in dst, by digest:
// the manifest is written unchanged, so the digest is equal, and this is checked. The same rules as
// Push apply to the tag (same digest: no-op; another digest: *TagConflictError). Promotion uses it.
func Copy(ctx context.Context, src Registry, from artifact.Pinned, dst Registry, repository string) (Pushed, error) {
	if from.Tag() == "" {
		return Pushed{}, fmt.Errorf("copy %s: the image has no tag to copy it under (artifact.json's commit_sha)", from)
	}
	srcRepo, err := src.connect(from.Repository())
	if err != nil {
		return Pushed{}, err
	}
	ref := srcRepo.Digest(from.Digest())
	desc, err := remote.Get(ref, src.remoteOptions(ctx)...)
	if err != nil {
		return Pushed{}, fmt.Errorf("read the image to promote: %w", describeRegistryError(from.String(), err))
	}
	if desc.Digest.String() != from.Digest() {
		return Pushed{}, fmt.Errorf("%s: the source registry returned %s, not the pinned digest", from, desc.Digest)
	}
	return write(ctx, dst, repository, from.Tag(), from.Digest(), from.Tagged(), func(to name.Tag, opts []remote.Option) error {
		if desc.MediaType.IsIndex() {
			idx, err := desc.ImageIndex()
			if err != nil {
				return err
			}
			return remote.WriteIndex(to, idx, opts...)
		}
		img, err := desc.Image()
		if err != nil {
			return err
		}
		return remote.Write(to, img, opts...)
	})
}

// write puts an image of a known digest under repository:tag unless the tag exists, then confirms it.
func write(ctx context.Context, reg Registry, repository, tag, digest, source string, put func(name.Tag, []remote.Option) error) (Pushed, error) {
	want, err := artifact.NewPinned(repository, digest)
	if err == nil {
		want, err = want.WithTag(tag)
	}
	if err != nil {
		return Pushed{}, err
	}
	existing, err := ResolveTag(ctx, reg, repository, tag)
	switch {
	case err == nil && existing.Image.Digest() == digest:
		return Pushed{Resolved: existing, Source: source, Existed: true}, nil
	case err == nil:
		return Pushed{}, &TagConflictError{Ref: repository + ":" + tag, Existing: existing.Image.Digest(), Want: digest}
	case !errors.Is(err, ErrNotFound):
		return Pushed{}, err
	}
	repo, err := reg.connect(repository)
	if err != nil {
		return Pushed{}, err
	}
	ref := repo.Tag(tag)
	if err := put(ref, reg.remoteOptions(ctx)); err != nil {
		return Pushed{}, fmt.Errorf("push %s to %s: %w", source, ref, describeRegistryError(ref.String(), err))
	}
	res, err := Confirm(ctx, reg, want)
	if err != nil {
		return Pushed{}, fmt.Errorf("after pushing %s: %w", ref, err)
	}
	return Pushed{Resolved: res, Source: source}, nil
}

// load opens an image from a layout directory or tarball and returns it with its manifest digest.
func load(source string, cleanup *func()) (v1.Image, string, error) {
	fi, err := os.Stat(source)
	if err != nil {
		return nil, "", err
	}
	dir := source
	if !fi.IsDir() {
		isOCI, err := tarHas(source, "oci-layout")
		if err != nil {
			return nil, "", fmt.Errorf("read image tarball %s: %w", source, err)
		}
		if !isOCI {
			img, err := tarball.ImageFromPath(source, nil)
			if err != nil {
				return nil, "", fmt.Errorf("read image tarball %s (docker save format expected): %w", source, err)
			}
			return digestOf(img, source)
		}
		tmp, err := os.MkdirTemp("", "oci-layout-")
		if err != nil {
			return nil, "", err
		}
		*cleanup = func() { os.RemoveAll(tmp) }
		if err := untar(source, tmp); err != nil {
			return nil, "", fmt.Errorf("unpack OCI layout tarball %s: %w", source, err)
		}
		dir = tmp
	}
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return nil, "", fmt.Errorf("read OCI layout %s: %w", source, err)
	}
	img, err := onlyImage(idx, source)
	if err != nil {
		return nil, "", err
	}
	return digestOf(img, source)
}

// onlyImage is the one image of a layout: its index names exactly one image manifest, or one nested
// index holding exactly one runnable image (attestation manifests, platform unknown/unknown, are not
// images to run).
func onlyImage(idx v1.ImageIndex, source string) (v1.Image, error) {
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("read OCI layout index %s: %w", source, err)
	}
	var images []v1.Hash
	var nested []v1.Descriptor
	for _, d := range im.Manifests {
		switch {
		case d.MediaType.IsImage():
			images = append(images, d.Digest)
		case d.MediaType.IsIndex():
			nested = append(nested, d)
		}
	}
	if len(images) == 0 && len(nested) == 1 {
		child, err := idx.ImageIndex(nested[0].Digest)
		if err != nil {
			return nil, fmt.Errorf("read the index in OCI layout %s: %w", source, err)
		}
		cm, err := child.IndexManifest()
		if err != nil {
			return nil, fmt.Errorf("read the index in OCI layout %s: %w", source, err)
		}
		for _, d := range cm.Manifests {
			if d.MediaType.IsImage() && (d.Platform == nil || d.Platform.OS != "unknown") {
				images = append(images, d.Digest)
			}
		}
		if len(images) == 1 {
			img, err := child.Image(images[0])
			if err != nil {
				return nil, fmt.Errorf("read image in OCI layout %s: %w", source, err)
			}
			return img, nil
		}
	}
	if len(images) != 1 {
		return nil, fmt.Errorf("OCI layout %s holds %d images: export exactly one image of one platform", source, len(images))
	}
	img, err := idx.Image(images[0])
	if err != nil {
		return nil, fmt.Errorf("read image in OCI layout %s: %w", source, err)
	}
	return img, nil
}

func digestOf(img v1.Image, source string) (v1.Image, string, error) {
	d, err := img.Digest()
	if err != nil {
		return nil, "", fmt.Errorf("compute digest of %s: %w", source, err)
	}
	return img, d.String(), nil
}

func tarHas(path, entry string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		if strings.TrimPrefix(h.Name, "./") == entry {
			return true, nil
		}
	}
}

func untar(path, dst string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		name := filepath.Clean(strings.TrimPrefix(h.Name, "./"))
		if name == "." || strings.HasPrefix(name, "..") || filepath.IsAbs(name) {
			continue
		}
		target := filepath.Join(dst, name)
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return err
			}
			out, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
			if err != nil {
				return err
			}
			if _, err := io.Copy(out, tr); err != nil {
				out.Close()
				return err
			}
			if err := out.Close(); err != nil {
				return err
			}
		}
	}
}
