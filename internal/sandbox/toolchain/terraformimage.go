package toolchain

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/platformteam/delivery/internal/atomicfile"
)

// The terraform image: the sandbox's terraform (or tofu) binary served as an image in the sandbox
// registry, so the Dagger pipeline's tool container gets the same binary the host tests use, offline.
// The image holds one file, /bin/<name>; the pipeline copies it out (it is never run as a container).

// servedTerraform records which binary the registry's terraform image was built from, so a warm
// `up` skips rebuilding and re-pushing the (large) image when nothing changed.
type servedTerraform struct {
	Path    string    `json:"path"`
	Size    int64     `json:"size"`
	ModTime time.Time `json:"mod_time"`
	Ref     string    `json:"ref"`
}

// ServeTerraformImage pushes the terraform/tofu binary to the registry as TerraformImageRef(registry,
// flavor) unless the same binary is already served; record is the file that remembers what was served.
// The Dagger pipeline's tool container copies terraform from there.
func ServeTerraformImage(ctx context.Context, registry, record string, tf Terraform, progress io.Writer) (string, error) {
	info, err := os.Stat(tf.Path)
	if err != nil {
		return "", fmt.Errorf("stat %s: %w", tf.Path, err)
	}
	want := servedTerraform{Path: tf.Path, Size: info.Size(), ModTime: info.ModTime().UTC(), Ref: TerraformImageRef(registry, tf.Flavor)}
	var have servedTerraform
	if data, err := os.ReadFile(record); err == nil && json.Unmarshal(data, &have) == nil &&
		have.Path == want.Path && have.Size == want.Size && have.ModTime.Equal(want.ModTime) && have.Ref == want.Ref && imageServed(ctx, want.Ref) {
		return want.Ref, nil
	}
	fmt.Fprintf(progress, "serving %s %s as %s (for the pipeline's tool container)\n", tf.Flavor, tf.Version, want.Ref)
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	ref, err := pushTerraformImage(ctx, registry, tf.Path)
	if err != nil {
		return "", fmt.Errorf("serve %s as an image: %w", tf.Path, err)
	}
	data, _ := json.Marshal(want)
	if err := atomicfile.Write(record, data, 0o644); err != nil {
		return "", err
	}
	return ref, nil
}

func imageServed(ctx context.Context, ref string) bool {
	tag, err := name.NewTag(ref, name.Insecure)
	if err != nil {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_, err = remote.Head(tag, remote.WithContext(ctx))
	return err == nil
}

// TerraformImageTag is the tag the sandbox serves its terraform under (environments/local/delivery.yaml
// refers to it).
const TerraformImageTag = "sandbox"

// TerraformImageRef is the image reference in registry (host:port) for a binary named name
// ("terraform" or "tofu").
func TerraformImageRef(registry, name string) string {
	return registry + "/base/" + name + ":" + TerraformImageTag
}

// buildTerraformImage makes the one-layer image holding binary at /bin/<name>.
func buildTerraformImage(binary, name string) (v1.Image, error) {
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

// pushTerraformImage builds the image for binary and pushes it to the plain-HTTP registry; it returns
// the reference. Pushing the same binary again is a no-op for the registry (same digest).
func pushTerraformImage(ctx context.Context, registry, binary string) (string, error) {
	bin := filepath.Base(binary)
	if bin != "terraform" && bin != "tofu" {
		return "", fmt.Errorf("binary %s must be named terraform or tofu", binary)
	}
	img, err := buildTerraformImage(binary, bin)
	if err != nil {
		return "", err
	}
	ref := TerraformImageRef(registry, bin)
	tag, err := name.NewTag(ref, name.Insecure)
	if err != nil {
		return "", fmt.Errorf("reference %s: %w", ref, err)
	}
	if err := remote.Write(tag, img, remote.WithContext(ctx)); err != nil {
		return "", fmt.Errorf("push %s: %w (is the sandbox registry up?)", ref, err)
	}
	return ref, nil
}
