//go:build integration

package daggerengine_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/platformteam/delivery/internal/sandbox/daggerengine"
	"github.com/platformteam/delivery/internal/sandbox/sandboxtest"
)

// TestEngineEndToEnd brings the engine up (reusing a running one), then proves what the pipeline
// relies on: the engine version, a Go module via `dagger call` on the sandbox's Go base image,
// publishing to the sandbox registry, host services (a test server, the registry, the TLS
// apiserver) reached through Dagger's tunnel, and a graceful stop and warm restart.
func TestEngineEndToEnd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Minute)
	defer cancel()
	sb := sandboxtest.Env(t)
	opts := integrationOptions(t, sb)

	start := time.Now()
	eng, err := daggerengine.Up(ctx, opts)
	if err != nil {
		t.Fatalf("Up: %v", err)
	}
	t.Logf("Up took %s; engine %+v", time.Since(start).Round(time.Millisecond), eng)
	if eng.RunnerHost == "" || eng.CLIPath == "" || eng.BaseImages["go"] == "" || eng.BaseImages["tools"] == "" {
		t.Fatalf("incomplete engine description: %+v", eng)
	}
	c := cli{t: t, eng: eng}

	t.Run("core version", func(t *testing.T) {
		if got := c.run(ctx, t, "", "core", "version"); strings.TrimSpace(got) != daggerengine.Version {
			t.Fatalf("dagger core version = %q, want %s", got, daggerengine.Version)
		}
	})

	mod := c.initProbeModule(ctx)
	nonce := fmt.Sprintf("n%d", time.Now().UnixNano())

	t.Run("go module on the sandbox Go image", func(t *testing.T) {
		out := c.run(ctx, t, mod, "call", "go-version", "--image", eng.BaseImages["go"])
		if !strings.Contains(out, "go version go1.") {
			t.Fatalf("go version output %q", out)
		}
	})

	t.Run("publish to the sandbox registry", func(t *testing.T) {
		ref := opts.Registry + "/daggerengine-test/probe:" + nonce
		out := strings.TrimSpace(c.run(ctx, t, mod, "call", "publish", "--base", eng.BaseImages["tools"], "--ref", ref, "--content", nonce))
		_, dgst, ok := strings.Cut(out, "@")
		if !ok || !strings.HasPrefix(dgst, "sha256:") {
			t.Fatalf("publish returned %q, want <ref>@sha256:...", out)
		}
		r, err := name.ParseReference(ref, name.Insecure)
		if err != nil {
			t.Fatal(err)
		}
		desc, err := remote.Head(r, remote.WithContext(ctx))
		if err != nil {
			t.Fatalf("registry does not serve %s: %v", ref, err)
		}
		if desc.Digest.String() != dgst {
			t.Fatalf("registry serves %s as %s, publish returned %s", ref, desc.Digest, dgst)
		}
	})

	t.Run("host service through the tunnel (service argument)", func(t *testing.T) {
		port := serveNonce(t, nonce)
		out := c.run(ctx, t, mod, "call", "fetch", "--image", eng.BaseImages["tools"],
			"--svc", fmt.Sprintf("tcp://127.0.0.1:%d", port), "--alias", "hostsvc", "--port", fmt.Sprint(port), "--path", "/nonce", "--nonce", nonce)
		if !strings.Contains(out, "200 OK") || !strings.Contains(out, nonce) {
			t.Fatalf("fetch through the host tunnel returned %q", out)
		}
	})

	t.Run("sandbox registry through the tunnel", func(t *testing.T) {
		_, port, _ := strings.Cut(opts.Registry, ":")
		out := c.run(ctx, t, mod, "call", "fetch", "--image", eng.BaseImages["tools"],
			"--svc", "tcp://"+opts.Registry, "--alias", "registry", "--port", port, "--path", "/v2/", "--nonce", nonce)
		if !strings.Contains(out, "200 OK") {
			t.Fatalf("registry through the host tunnel returned %q", out)
		}
	})

	t.Run("kube-apiserver through the tunnel, TLS verified for the alias", func(t *testing.T) {
		cfg, err := clientcmd.LoadFromFile(sb.Kubeconfig)
		if err != nil {
			t.Fatalf("sandbox kubeconfig: %v", err)
		}
		cluster := cfg.Clusters[cfg.Contexts[cfg.CurrentContext].Cluster]
		server, err := url.Parse(cluster.Server)
		if err != nil {
			t.Fatal(err)
		}
		out := c.run(ctx, t, mod, "call", "tls-check", "--image", eng.BaseImages["tools"],
			"--svc", "tcp://"+server.Host, "--alias", "kubernetes", "--port", server.Port(),
			"--ca-pem="+string(cluster.CertificateAuthorityData), "--nonce", nonce) // "=": the value starts with "-"
		if !strings.Contains(out, "Verify return code: 0 (ok)") {
			t.Fatalf("TLS to the apiserver as \"kubernetes\" through the tunnel: %q", out)
		}
	})

	t.Run("probe, graceful stop, warm restart", func(t *testing.T) {
		if st := daggerengine.Probe(ctx, opts); !st.Up || st.Version != daggerengine.Version {
			t.Fatalf("Probe while up: %+v", st)
		}
		if err := daggerengine.Down(ctx, opts); err != nil {
			t.Fatalf("Down: %v", err)
		}
		if st := daggerengine.Probe(ctx, opts); st.Up {
			t.Fatalf("Probe after Down: %+v", st)
		}
		start := time.Now()
		if _, err := daggerengine.Up(ctx, opts); err != nil {
			t.Fatalf("warm Up: %v", err)
		}
		t.Logf("warm Up (engine stopped, everything built) took %s", time.Since(start).Round(time.Millisecond))
		start = time.Now()
		if _, err := daggerengine.Up(ctx, opts); err != nil {
			t.Fatalf("Up while up: %v", err)
		}
		t.Logf("Up while already up took %s", time.Since(start).Round(time.Millisecond))
		if b, err := os.ReadFile(filepath.Join(opts.StateDir, "engine.log")); err != nil || !strings.Contains(string(b), "stopping server") {
			t.Fatalf("engine log shows no graceful stop (err %v)", err)
		}
	})
}

// integrationOptions are the sandbox's own engine options: the sandbox (minus Dagger) comes from
// sandboxtest.Env, which brings it up when needed, and this test brings the engine up in its slot.
func integrationOptions(t *testing.T, sb *sandboxtest.Sandbox) daggerengine.Options {
	t.Helper()
	return daggerengine.Options{
		CacheDir: sb.Layout.CacheDir,
		StateDir: sb.Layout.DaggerDir(),
		Registry: sb.Registry,
		Progress: testWriter{t},
	}
}

// serveNonce serves body at /nonce on a loopback port for the test's duration.
func serveNonce(t *testing.T, body string) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, body)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().(*net.TCPAddr).Port
}

type cli struct {
	t   *testing.T
	eng *daggerengine.Engine
}

// run runs the dagger CLI against the engine and returns stdout; progress goes to the test log.
func (c cli) run(ctx context.Context, t *testing.T, dir string, args ...string) string {
	t.Helper()
	start := time.Now()
	cmd := exec.CommandContext(ctx, c.eng.CLIPath, append([]string{"--progress=plain"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "_EXPERIMENTAL_DAGGER_RUNNER_HOST="+c.eng.RunnerHost, "DO_NOT_TRACK=1", "DAGGER_NO_NAG=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	t.Logf("dagger %s: %s", strings.Join(args, " "), time.Since(start).Round(time.Millisecond))
	if err != nil {
		t.Fatalf("dagger %s: %v\nstdout:\n%s\nstderr (tail):\n%s", strings.Join(args, " "), err, stdout.String(), tailString(stderr.String(), 60))
	}
	return stdout.String()
}

// initProbeModule makes a fresh Go module with `dagger init` and installs testdata/probemod/main.go.
func (c cli) initProbeModule(ctx context.Context) string {
	c.t.Helper()
	dir := c.t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "LICENSE"), []byte("test module\n"), 0o644); err != nil {
		c.t.Fatal(err)
	}
	c.run(ctx, c.t, dir, "init", "--sdk=go", "--name=probe", "--source=.", "--license=")
	src, err := os.ReadFile(filepath.Join("testdata", "probemod", "main.go"))
	if err != nil {
		c.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.go"), src, 0o644); err != nil {
		c.t.Fatal(err)
	}
	return dir
}

func tailString(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
