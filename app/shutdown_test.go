package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestGracefulShutdownOnSIGTERM builds the real binary, starts a request that takes a while (a slow
// S3 readiness check), sends SIGTERM while it is in flight, and expects the request to complete,
// the process to exit 0 and the shutdown to be logged.
func TestGracefulShutdownOnSIGTERM(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "demo-app")
	build := exec.Command("go", "build", "-trimpath",
		"-ldflags", "-X main.version=9.9.9 -X main.commit=feedbee", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	arrived := make(chan struct{}, 1)
	slowS3 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		time.Sleep(700 * time.Millisecond)
		w.WriteHeader(http.StatusOK)
	}))
	defer slowS3.Close()

	cmd := exec.Command(bin)
	cmd.Env = []string{
		"LISTEN_ADDR=127.0.0.1:0", "DEPLOY_PLATFORM=ecs", "READY_S3_URL=" + slowS3.URL,
		"READY_CHECK_TIMEOUT=5s", "SHUTDOWN_TIMEOUT=10s",
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()

	lines := make(chan map[string]any, 64)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var m map[string]any
			if json.Unmarshal(sc.Bytes(), &m) == nil {
				lines <- m
			}
		}
		close(lines)
	}()
	var addr string
	select {
	case m := <-lines:
		if m["msg"] != "listening" || m["version"] != "9.9.9" || m["commit"] != "feedbee" || m["platform"] != "ecs" {
			t.Fatalf("first log line %v", m)
		}
		addr, _ = m["addr"].(string)
	case <-time.After(20 * time.Second):
		t.Fatal("the binary did not log its listen address")
	}

	// The container health check mode probes the running server.
	hc := exec.Command(bin, "-healthcheck")
	hc.Env = []string{"LISTEN_ADDR=" + addr}
	if out, err := hc.CombinedOutput(); err != nil {
		t.Fatalf("-healthcheck against a healthy server: %v\n%s", err, out)
	}

	type result struct {
		code int
		body string
		err  error
	}
	inflight := make(chan result, 1)
	go func() {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err != nil {
			inflight <- result{err: err}
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		inflight <- result{code: resp.StatusCode, body: string(b)}
	}()
	select {
	case <-arrived:
	case <-time.After(10 * time.Second):
		t.Fatal("the readiness request never reached the S3 stand-in")
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}

	r := <-inflight
	if r.err != nil || r.code != http.StatusOK || !strings.Contains(r.body, `"status":"ready"`) {
		t.Fatalf("in-flight request was not completed: %+v", r)
	}
	waitErr := make(chan error, 1)
	go func() { waitErr <- cmd.Wait() }()
	select {
	case err := <-waitErr:
		if err != nil {
			t.Fatalf("process exited with %v, want 0", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("process did not exit after SIGTERM")
	}
	var msgs []string
	for m := range lines {
		msgs = append(msgs, m["msg"].(string))
	}
	joined := strings.Join(msgs, "|")
	if !strings.Contains(joined, "shutdown signal received") || !strings.HasSuffix(joined, "shutdown complete") {
		t.Fatalf("shutdown log lines = %v", msgs)
	}
	if _, err := http.Get("http://" + addr + "/healthz"); err == nil {
		t.Fatal("the listener is still open after shutdown")
	}
	hc = exec.Command(bin, "-healthcheck")
	hc.Env = []string{"LISTEN_ADDR=" + addr}
	if err := hc.Run(); err == nil {
		t.Fatal("-healthcheck succeeded with no server running")
	}
}
