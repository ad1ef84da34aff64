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

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Pushed is the result of Push: the registry-confirmed image and where it came from.
type Pushed struct {
	Resolved
	Source string `json:"source"`
}

// Push uploads an image built elsewhere (an OCI layout directory, an OCI layout tarball, or a
// `docker save` tarball) to repository:tag in reg. The digest is the one of the manifest pushed, and
// it is cross-checked with one HEAD request on the tag; nothing polls.
func Push(ctx context.Context, reg Registry, repository, tag, source string) (Pushed, error) {
	if _, err := os.Stat(source); err != nil {
		return Pushed{}, fmt.Errorf("image source %s: %w (pass an OCI layout directory or an image tarball)", source, err)
	}
	repo, err := reg.connect(repository)
	if err != nil {
		return Pushed{}, err
	}
	ref := repo.Tag(tag)
	cleanup := func() {}
	defer func() { cleanup() }()
	img, digest, err := load(source, &cleanup)
	if err != nil {
		return Pushed{}, err
	}
	if err := remote.Write(ref, img, reg.remoteOptions(ctx)...); err != nil {
		return Pushed{}, fmt.Errorf("push %s to %s: %w", source, ref, err)
	}
	res, err := Confirm(ctx, reg, Published{Repository: repository, Tag: tag, Digest: digest})
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
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, "", fmt.Errorf("read OCI layout index %s: %w", source, err)
	}
	if len(im.Manifests) != 1 {
		return nil, "", fmt.Errorf("OCI layout %s holds %d manifests: export exactly one image", source, len(im.Manifests))
	}
	if !im.Manifests[0].MediaType.IsImage() {
		return nil, "", fmt.Errorf("OCI layout %s holds a %s, not a single-platform image: export one platform", source, im.Manifests[0].MediaType)
	}
	img, err := idx.Image(im.Manifests[0].Digest)
	if err != nil {
		return nil, "", fmt.Errorf("read image in OCI layout %s: %w", source, err)
	}
	return digestOf(img, source)
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
