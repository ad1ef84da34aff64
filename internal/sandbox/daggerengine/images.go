package daggerengine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// imagesRecipe bumps whenever the image contents below change.
const imagesRecipe = "2"

// Image roles. "go" and "tools" are pushed to the sandbox registry; "gosdk" is the engine's builtin
// Go SDK runtime base (the "go" image plus the codegen binary), read from the content dir.
const (
	roleGo    = "go"
	roleTools = "tools"
	roleGoSDK = "gosdk"
)

// refAnnotation names an image inside the OCI layout.
const refAnnotation = "org.opencontainers.image.ref.name"

// builtImages is the result of buildImages: one OCI layout holding every image.
type builtImages struct {
	LayoutDir   string            `json:"layoutDir"`
	Digests     map[string]string `json:"digests"` // role -> manifest digest
	GoTag       string            `json:"goTag"`   // e.g. 1.26 (from the machine's Go)
	Suite       string            `json:"suite"`   // e.g. bookworm
	goSDKDigest string
}

// Environment of the Go images: the machine's Go toolchain at /usr/local/go, GOPATH /go.
var goImageEnv = []string{
	"PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
	"GOPATH=/go",
	"GOCACHE=/root/.cache/go-build",
	"GOTOOLCHAIN=local",
}

var plainEnv = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}

// buildImages makes (once) the base image rootfs and the OCI layout with the go, tools and Go SDK
// images. Inputs: the Debian rootfs, the machine's Go toolchain and the codegen binary.
func buildImages(ctx context.Context, p progress, l paths) (builtImages, error) {
	base, err := debootstrapRootfs(ctx, p, l, "image-rootfs", imagePackages, func(context.Context, string) error { return nil })
	if err != nil {
		return builtImages{}, fmt.Errorf("base image rootfs: %w", err)
	}
	goroot, err := output(ctx, nil, "go", "env", "GOROOT")
	if err != nil {
		return builtImages{}, fmt.Errorf("find the machine's Go toolchain: %w", err)
	}
	goVersion, err := output(ctx, nil, "go", "env", "GOVERSION")
	if err != nil {
		return builtImages{}, fmt.Errorf("find the machine's Go version: %w", err)
	}
	goTag, err := goMinor(goVersion)
	if err != nil {
		return builtImages{}, err
	}
	src, err := findDebianSource("/")
	if err != nil {
		return builtImages{}, err
	}
	stamp, err := os.ReadFile(filepath.Join(l.binDir(), ".stamp"))
	if err != nil {
		return builtImages{}, fmt.Errorf("codegen build stamp missing (build the binaries first): %w", err)
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n%s\n%s\n%s\n", imagesRecipe, filepath.Base(base), goroot, goVersion, stamp)
	dir := l.imagesDir(hex.EncodeToString(h.Sum(nil))[:12])
	doneFile := filepath.Join(dir, "sandbox-images.json")

	var imgs builtImages
	if b, err := os.ReadFile(doneFile); err == nil && json.Unmarshal(b, &imgs) == nil {
		p.linef("images ready in %s", dir)
	} else {
		imgs = builtImages{LayoutDir: dir, GoTag: goTag, Suite: src.Suite}
		err := p.step(ctx, "build base images (Debian "+src.Suite+", "+goVersion+") and Go SDK content", 20*time.Minute, func(ctx context.Context) error {
			d, err := writeImages(ctx, p, l, dir, base, goroot)
			imgs.Digests = d
			return err
		})
		if err != nil {
			return builtImages{}, err
		}
		b, _ := json.MarshalIndent(imgs, "", "  ")
		if err := os.WriteFile(doneFile, b, 0o644); err != nil {
			return builtImages{}, fmt.Errorf("record images: %w", err)
		}
	}
	imgs.goSDKDigest = imgs.Digests[roleGoSDK]
	if err := os.WriteFile(filepath.Join(l.toolsDir(), "images-layout"), []byte(dir), 0o644); err != nil {
		return builtImages{}, fmt.Errorf("record images layout: %w", err)
	}
	return imgs, nil
}

func imagesLayoutDir(l paths) (string, error) {
	b, err := os.ReadFile(filepath.Join(l.toolsDir(), "images-layout"))
	if err != nil {
		return "", fmt.Errorf("base images not built yet: %w (run the sandbox up with --with-dagger)", err)
	}
	return string(b), nil
}

// goMinor turns "go1.26.8" into "1.26".
func goMinor(v string) (string, error) {
	parts := strings.Split(strings.TrimPrefix(v, "go"), ".")
	if len(parts) < 2 || parts[0] == "" || parts[1] == "" {
		return "", fmt.Errorf("unexpected Go version %q from `go env GOVERSION`", v)
	}
	return parts[0] + "." + parts[1], nil
}

// writeImages writes the three images into a fresh OCI layout at dir (via a temp dir).
func writeImages(ctx context.Context, p progress, l paths, dir, base, goroot string) (map[string]string, error) {
	tmp := dir + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return nil, err
	}
	work := filepath.Join(tmp, "work")
	if err := os.MkdirAll(work, 0o755); err != nil {
		return nil, err
	}
	layers := map[string]string{
		"base":    filepath.Join(work, "base.tar.gz"),
		"go":      filepath.Join(work, "go.tar.gz"),
		"godirs":  filepath.Join(work, "godirs.tar.gz"),
		"codegen": filepath.Join(work, "codegen.tar.gz"),
	}
	steps := []struct {
		name string
		fn   func() error
	}{
		{"layer: Debian rootfs", func() error { return writeLayer(layers["base"], base, "", skipRootfs, nil) }},
		{"layer: Go toolchain " + goroot, func() error { return writeLayer(layers["go"], goroot, "usr/local/go", skipGoroot, nil) }},
		{"layer: Go dirs", func() error {
			return writeLayer(layers["godirs"], "", "", nil, []layerEntry{
				{name: "go", dir: true, mode: 0o755}, {name: "go/bin", dir: true, mode: 0o755},
				{name: "go/pkg", dir: true, mode: 0o755}, {name: "go/pkg/mod", dir: true, mode: 0o755},
				{name: "root/.cache", dir: true, mode: 0o755}, {name: "root/.cache/go-build", dir: true, mode: 0o755},
			})
		}},
		{"layer: codegen", func() error {
			return writeLayer(layers["codegen"], "", "", nil, []layerEntry{
				{name: "usr/local/bin/codegen", mode: 0o755, from: l.binPath("codegen")},
			})
		}},
	}
	for _, s := range steps {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		start := time.Now()
		if err := s.fn(); err != nil {
			return nil, fmt.Errorf("%s: %w", s.name, err)
		}
		p.linef("%s written in %s", s.name, time.Since(start).Round(100*time.Millisecond))
	}
	loaded := map[string]v1.Layer{}
	for k, f := range layers {
		layer, err := tarball.LayerFromFile(f, tarball.WithMediaType(types.OCILayer))
		if err != nil {
			return nil, fmt.Errorf("load layer %s: %w", k, err)
		}
		loaded[k] = layer
	}
	tools, err := image(plainEnv, loaded["base"])
	if err != nil {
		return nil, err
	}
	golang, err := image(goImageEnv, loaded["base"], loaded["go"], loaded["godirs"])
	if err != nil {
		return nil, err
	}
	gosdk, err := image(goImageEnv, loaded["base"], loaded["go"], loaded["godirs"], loaded["codegen"])
	if err != nil {
		return nil, err
	}
	lp, err := layout.Write(tmp, empty.Index)
	if err != nil {
		return nil, fmt.Errorf("create OCI layout: %w", err)
	}
	digests := map[string]string{}
	for _, e := range []struct {
		role string
		img  v1.Image
	}{{roleTools, tools}, {roleGo, golang}, {roleGoSDK, gosdk}} {
		if err := lp.AppendImage(e.img, layout.WithAnnotations(map[string]string{refAnnotation: e.role})); err != nil {
			return nil, fmt.Errorf("write %s image to OCI layout: %w", e.role, err)
		}
		d, err := e.img.Digest()
		if err != nil {
			return nil, err
		}
		digests[e.role] = d.String()
	}
	if err := os.RemoveAll(work); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, dir); err != nil {
		return nil, fmt.Errorf("finish images %s: %w", dir, err)
	}
	return digests, nil
}

// image stacks layers on an empty OCI image with the given environment.
func image(env []string, layers ...v1.Layer) (v1.Image, error) {
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err := mutate.AppendLayers(img, layers...)
	if err != nil {
		return nil, fmt.Errorf("stack image layers: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", runtime.GOARCH
	cf.Config.Env = env
	cf.Config.WorkingDir = "/"
	return mutate.ConfigFile(img, cf)
}

// skipRootfs leaves out what the runtime provides or what only bloats the image.
func skipRootfs(rel string) bool {
	for _, p := range []string{"proc/", "sys/", "dev/", "run/", "tmp/"} {
		if strings.HasPrefix(rel, p) {
			return true
		}
	}
	return false
}

// skipGoroot leaves out the toolchain's own tests and VCS metadata.
func skipGoroot(rel string) bool {
	return rel == ".git" || rel == "test" || strings.HasPrefix(rel, "pkg/obj/")
}
