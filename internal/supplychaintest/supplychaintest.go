// Package supplychaintest holds the fixtures of the supply-chain tests: an in-process registry, a real
// Go binary with dependencies (built once from testdata/gobinary), and app-shaped images made of it.
package supplychaintest

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Registry starts an in-process OCI registry for the test and returns its host:port.
func Registry(t testing.TB) string {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// GoBinaryPath builds testdata/gobinary once per test process and returns the binary's path.
func GoBinaryPath(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		_, self, _, _ := runtime.Caller(0)
		dir, err := os.MkdirTemp("", "supplychain-gobinary")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "gobinary")
		cmd := exec.Command("go", "build", "-trimpath", "-o", binPath, "./testdata/gobinary")
		cmd.Dir = filepath.Dir(self)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build ./testdata/gobinary: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// File is one file of a layer.
type File struct {
	Name string
	Mode int64
	Data []byte
}

// Layer is an uncompressed tar layer of files.
func Layer(t testing.TB, files ...File) v1.Layer {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, f := range files {
		if err := tw.WriteHeader(&tar.Header{Name: f.Name, Mode: f.Mode, Size: int64(len(f.Data)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(f.Data); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	data := b.Bytes()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// AppImage is an image shaped like the demo app's: on scratch, the Go binary at /demo-app as entrypoint.
// extra is written into the image too, so tests can make distinct digests.
func AppImage(t testing.TB, extra string) v1.Image {
	t.Helper()
	bin, err := os.ReadFile(GoBinaryPath(t))
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(empty.Image, Layer(t, File{"demo-app", 0o755, bin}, File{"etc/extra", 0o644, []byte(extra)}))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cfg = cfg.DeepCopy()
	cfg.Config.Entrypoint = []string{"/demo-app"}
	img, err = mutate.ConfigFile(img, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// Push writes img to <host>/<repo>:<tag> and returns it by digest.
func Push(t testing.TB, host, repo, tag string, img v1.Image) name.Digest {
	t.Helper()
	ref, err := name.NewTag(host + "/" + repo + ":" + tag)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return ref.Context().Digest(d.String())
}
