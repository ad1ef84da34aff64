package sandbox

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/platformteam/delivery/pkg/sandbox/tfimage"
)

// servedTerraform records which binary the registry's terraform image was built from, so a warm
// `up` skips rebuilding and re-pushing the (large) image when nothing changed.
type servedTerraform struct {
	Path    string    `json:"path"`
	Size    int64     `json:"size"`
	ModTime time.Time `json:"mod_time"`
	Ref     string    `json:"ref"`
}

func (l Layout) servedTerraformFile() string {
	return filepath.Join(l.StateDir, "terraform-image.json")
}

// serveTerraformImage pushes the terraform/tofu binary as tfimage.Ref(registry, flavor) unless the
// same binary is already served. The Dagger pipeline's tool container copies terraform from there.
func serveTerraformImage(ctx context.Context, l Layout, tf TerraformBinary, progress io.Writer) (string, error) {
	info, err := os.Stat(tf.Path)
	if err != nil {
		return "", fmt.Errorf("stat %s: %w", tf.Path, err)
	}
	want := servedTerraform{Path: tf.Path, Size: info.Size(), ModTime: info.ModTime().UTC(), Ref: tfimage.Ref(RegistryAddress(), tf.Flavor)}
	var have servedTerraform
	if data, err := os.ReadFile(l.servedTerraformFile()); err == nil && json.Unmarshal(data, &have) == nil &&
		have.Path == want.Path && have.Size == want.Size && have.ModTime.Equal(want.ModTime) && have.Ref == want.Ref && imageServed(ctx, want.Ref) {
		return want.Ref, nil
	}
	fmt.Fprintf(progress, "serving %s %s as %s (for the pipeline's tool container)\n", tf.Flavor, tf.Version, want.Ref)
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	ref, err := tfimage.Push(ctx, RegistryAddress(), tf.Path)
	if err != nil {
		return "", fmt.Errorf("serve %s as an image: %w", tf.Path, err)
	}
	data, _ := json.Marshal(want)
	if err := writeFileAtomic(l.servedTerraformFile(), data, 0o644); err != nil {
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
