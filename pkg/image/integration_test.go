//go:build integration

package image

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/platformteam/delivery/internal/sandbox/sandboxtest"
)

// The sandbox registry is Debian's docker-registry: its Docker-Content-Digest must equal the digest of
// the manifest pushed, and the one-pipeline path must make exactly one manifest request.
func TestSandboxRegistryPushConfirmWait(t *testing.T) {
	s := sandboxtest.Env(t)
	ctx := context.Background()
	reg, err := Plain(s.Registry)
	if err != nil {
		t.Fatal(err)
	}
	counter := &manifestCounter{base: http.DefaultTransport}
	reg.Transport = counter
	repo := s.Registry + "/" + sandboxtest.UniqueName("release-image")
	dir, want := writeLayout(t)

	// wait-for-tag while another "pipeline" pushes after a moment.
	pushed := make(chan error, 1)
	go func() {
		time.Sleep(1500 * time.Millisecond)
		_, err := Push(ctx, reg, repo, "abc1234", dir)
		pushed <- err
	}()
	var progress strings.Builder
	res, attempts, err := WaitForTag(ctx, reg, repo, "abc1234", WaitOptions{
		Backoff: Backoff{Initial: 200 * time.Millisecond, Max: time.Second, Timeout: 30 * time.Second}, Progress: &progress})
	if err != nil {
		t.Fatalf("wait-for-tag: %v\n%s", err, progress.String())
	}
	if perr := <-pushed; perr != nil {
		t.Fatal(perr)
	}
	if res.Image.Digest() != want || attempts < 2 {
		t.Fatalf("digest %s (want %s) after %d attempts", res.Image.Digest(), want, attempts)
	}

	counter.all.Store(0)
	counter.heads.Store(0)
	p := pinned(t, repo+":abc1234@"+want)
	confirmed, err := Confirm(ctx, reg, p)
	if err != nil {
		t.Fatal(err)
	}
	if confirmed.Image.Digest() != want || counter.all.Load() != 1 || counter.heads.Load() != 1 {
		t.Fatalf("confirm: %+v with %d manifest requests (%d HEAD), want exactly 1 HEAD", confirmed, counter.all.Load(), counter.heads.Load())
	}

	if _, err := ResolveTag(ctx, reg, repo, "0000000"); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("missing tag: %v", err)
	}
}
