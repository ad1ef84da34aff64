// Package tfimage serves the sandbox's terraform (or tofu) binary as an image in the sandbox registry,
// so the Dagger pipeline's tool container gets the same binary the host tests use, offline. The image
// holds one file, /bin/<name>; the pipeline copies it out (it is never run as a container itself).
package tfimage

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Tag is the tag the sandbox serves its terraform under (environments/local/delivery.yaml refers to it).
const Tag = "sandbox"

// Ref is the image reference in registry (host:port) for a binary named name ("terraform" or "tofu").
func Ref(registry, name string) string { return registry + "/base/" + name + ":" + Tag }

// Build makes the one-layer image holding binary at /bin/<name>.
func Build(binary, name string) (v1.Image, error) {
	data, err := os.ReadFile(binary)
	if err != nil {
		return nil, fmt.Errorf("read %s binary %s: %w", name, binary, err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range []*tar.Header{
		{Name: "bin/", Typeflag: tar.TypeDir, Mode: 0o755},
		{Name: "bin/" + name, Typeflag: tar.TypeReg, Mode: 0o755, Size: int64(len(data))},
	} {
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
	}
	if _, err := tw.Write(data); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(buf.Bytes())), nil })
	if err != nil {
		return nil, fmt.Errorf("layer for %s: %w", name, err)
	}
	img, err := mutate.AppendLayers(mutate.MediaType(empty.Image, types.OCIManifestSchema1), layer)
	if err != nil {
		return nil, err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture = "linux", "amd64"
	cfg.Config.Entrypoint = []string{"/bin/" + name}
	return mutate.ConfigFile(img, cfg)
}

// Push builds the image for binary and pushes it to the plain-HTTP registry; it returns the reference.
// Pushing the same binary again is a no-op for the registry (same digest).
func Push(ctx context.Context, registry, binary string) (string, error) {
	bin := filepath.Base(binary)
	if bin != "terraform" && bin != "tofu" {
		return "", fmt.Errorf("binary %s must be named terraform or tofu", binary)
	}
	img, err := Build(binary, bin)
	if err != nil {
		return "", err
	}
	ref := Ref(registry, bin)
	tag, err := name.NewTag(ref, name.Insecure)
	if err != nil {
		return "", fmt.Errorf("reference %s: %w", ref, err)
	}
	if err := remote.Write(tag, img, remote.WithContext(ctx)); err != nil {
		return "", fmt.Errorf("push %s: %w (is the sandbox registry up?)", ref, err)
	}
	return ref, nil
}
