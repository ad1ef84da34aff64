package image

import (
	"context"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/platformteam/delivery/pkg/artifact"
)

// manifestCounter counts manifest requests (the "registry polls") going through it.
type manifestCounter struct {
	base  http.RoundTripper
	heads atomic.Int64
	all   atomic.Int64
}

func (c *manifestCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.Contains(r.URL.Path, "/manifests/") {
		c.all.Add(1)
		if r.Method == http.MethodHead {
			c.heads.Add(1)
		}
	}
	return c.base.RoundTrip(r)
}

func startRegistry(t testing.TB) (Registry, *manifestCounter) {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	reg, err := Plain(strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	counter := &manifestCounter{base: http.DefaultTransport}
	reg.Transport = counter
	return reg, counter
}

func writeLayout(t testing.TB) (string, string) {
	t.Helper()
	img, err := random.Image(512, 2)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "layout")
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendImage(img); err != nil {
		t.Fatal(err)
	}
	d, _ := img.Digest()
	return dir, d.String()
}

func TestPushLayoutThenConfirmWithOneHead(t *testing.T) {
	ctx := context.Background()
	reg, counter := startRegistry(t)
	dir, want := writeLayout(t)
	repo := reg.Host + "/demo-app"

	pushed, err := Push(ctx, reg, repo, "abc1234", dir)
	if err != nil {
		t.Fatal(err)
	}
	if pushed.Image.Digest() != want || pushed.Image.Tag() != "abc1234" || pushed.Existed {
		t.Fatalf("pushed %+v, want digest %s", pushed, want)
	}

	counter.heads.Store(0)
	counter.all.Store(0)
	p, err := artifact.ParsePinned(repo + ":abc1234@" + want)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Confirm(ctx, reg, p)
	if err != nil {
		t.Fatal(err)
	}
	if res.Image.String() != repo+"@"+want {
		t.Fatalf("ref %s", res.Image)
	}
	if counter.all.Load() != 1 || counter.heads.Load() != 1 {
		t.Fatalf("one-pipeline path must make exactly one HEAD manifest request, made %d manifest requests (%d HEAD)", counter.all.Load(), counter.heads.Load())
	}
}

func TestPushDockerTarball(t *testing.T) {
	reg, _ := startRegistry(t)
	img, _ := random.Image(256, 1)
	path := filepath.Join(t.TempDir(), "image.tar")
	tag, _ := name.NewTag("demo-app:tmp")
	if err := tarball.WriteToFile(path, tag, img); err != nil {
		t.Fatal(err)
	}
	want, _ := img.Digest()
	pushed, err := Push(context.Background(), reg, reg.Host+"/demo-app", "abc1234", path)
	if err != nil {
		t.Fatal(err)
	}
	if pushed.Image.Digest() != want.String() {
		t.Fatalf("digest %s want %s", pushed.Image.Digest(), want)
	}
}

func TestConfirmDetectsMovedTag(t *testing.T) {
	ctx := context.Background()
	reg, _ := startRegistry(t)
	dir, first := writeLayout(t)
	repo := reg.Host + "/demo-app"
	if _, err := Push(ctx, reg, repo, "abc1234", dir); err != nil {
		t.Fatal(err)
	}
	other, _ := random.Image(128, 1)
	ref, _ := name.NewTag(repo+":abc1234", name.Insecure)
	if err := remote.Write(ref, other); err != nil {
		t.Fatal(err)
	}
	_, err := Confirm(ctx, reg, pinned(t, repo+":abc1234@"+first))
	if err == nil || !strings.Contains(err.Error(), "tag moved") {
		t.Fatalf("want moved-tag error, got %v", err)
	}
}

func TestResolveMissingTagIsNotFound(t *testing.T) {
	reg, _ := startRegistry(t)
	_, err := ResolveTag(context.Background(), reg, reg.Host+"/demo-app", "0000000")
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "wait-for-tag") {
		t.Fatalf("want ErrNotFound with a hint, got %v", err)
	}
}

func TestConfirmViaRegistryAliasKeepsPublishedRepository(t *testing.T) {
	ctx := context.Background()
	reg, _ := startRegistry(t)
	dir, d := writeLayout(t)
	if _, err := Push(ctx, reg, reg.Host+"/demo-app", "abc1234", dir); err != nil {
		t.Fatal(err)
	}
	res, err := Confirm(ctx, reg, pinned(t, "registry.sandbox:5000/demo-app@"+d))
	if err != nil {
		t.Fatal(err)
	}
	if res.Image.Repository() != "registry.sandbox:5000/demo-app" {
		t.Fatalf("repository %q must stay as published", res.Image.Repository())
	}
}

func TestWaitForTagBacksOffUntilPushed(t *testing.T) {
	ctx := context.Background()
	reg, counter := startRegistry(t)
	dir, want := writeLayout(t)
	repo := reg.Host + "/demo-app"

	var slept []time.Duration
	clock := time.Unix(0, 0)
	sleep := func(_ context.Context, d time.Duration) error {
		slept = append(slept, d)
		clock = clock.Add(d)
		if len(slept) == 3 { // another pipeline pushes while we wait
			if _, err := Push(ctx, reg, repo, "abc1234", dir); err != nil {
				t.Fatal(err)
			}
			counter.all.Store(0)
		}
		return nil
	}
	var progress strings.Builder
	res, attempts, err := WaitForTag(ctx, reg, repo, "abc1234", WaitOptions{
		Backoff:  Backoff{Initial: time.Second, Max: 3 * time.Second, Timeout: time.Minute},
		Progress: &progress, Sleep: sleep, Now: func() time.Time { return clock },
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Image.Digest() != want || attempts != 4 {
		t.Fatalf("digest %s attempts %d", res.Image.Digest(), attempts)
	}
	wantSlept := []time.Duration{time.Second, 2 * time.Second, 3 * time.Second}
	for i := range wantSlept {
		if slept[i] != wantSlept[i] {
			t.Fatalf("backoff %v, want %v", slept, wantSlept)
		}
	}
	if strings.Count(progress.String(), "waiting for") != 3 {
		t.Fatalf("want one progress line per miss:\n%s", progress.String())
	}
}

func TestWaitForTagGivesUpAtDeadline(t *testing.T) {
	reg, _ := startRegistry(t)
	clock := time.Unix(0, 0)
	_, attempts, err := WaitForTag(context.Background(), reg, reg.Host+"/demo-app", "abc1234", WaitOptions{
		Backoff: Backoff{Initial: 2 * time.Second, Timeout: 10 * time.Second},
		Sleep:   func(_ context.Context, d time.Duration) error { clock = clock.Add(d); return nil },
		Now:     func() time.Time { return clock },
	})
	if err == nil || !strings.Contains(err.Error(), "did not appear within 10s") {
		t.Fatalf("want deadline error, got %v", err)
	}
	if attempts != 4 { // t=0, 2, 6, 10
		t.Fatalf("attempts %d", attempts)
	}
}

func TestCommitSources(t *testing.T) {
	full := "0123456789abcdef0123456789abcdef01234567"
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

	c, err := Commit(t.TempDir(), env(map[string]string{"CODEBUILD_RESOLVED_SOURCE_VERSION": full, "GITHUB_SHA": strings.Repeat("f", 40)}))
	if err != nil || c.Short() != "0123456" || c.From != "CODEBUILD_RESOLVED_SOURCE_VERSION" || c.String() != full {
		t.Fatalf("codebuild first: %+v %v", c, err)
	}
	c, err = Commit(t.TempDir(), env(map[string]string{"GITHUB_SHA": strings.ToUpper(full)}))
	if err != nil || c.Short() != "0123456" || c.From != "GITHUB_SHA" {
		t.Fatalf("github: %+v %v", c, err)
	}
	if _, err := Commit(t.TempDir(), env(map[string]string{"GITHUB_SHA": "main"})); err == nil || !strings.Contains(err.Error(), "not a full commit SHA") || !strings.Contains(err.Error(), "GITHUB_SHA") {
		t.Fatalf("want bad SHA error, got %v", err)
	}

	// git metadata: loose ref, packed ref, detached HEAD, worktree link
	root := t.TempDir()
	git := filepath.Join(root, ".git")
	must(t, os.MkdirAll(filepath.Join(git, "refs", "heads"), 0o755))
	must(t, os.WriteFile(filepath.Join(git, "HEAD"), []byte("ref: refs/heads/main\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(git, "refs", "heads", "main"), []byte(full+"\n"), 0o644))
	sub := filepath.Join(root, "app", "src")
	must(t, os.MkdirAll(sub, 0o755))
	if s, err := shortSHA(sub, env(nil)); err != nil || s != "0123456" {
		t.Fatalf("loose ref: %q %v", s, err)
	}
	must(t, os.Remove(filepath.Join(git, "refs", "heads", "main")))
	must(t, os.WriteFile(filepath.Join(git, "packed-refs"), []byte("# pack-refs\n"+strings.Repeat("e", 40)+" refs/heads/main\n"), 0o644))
	if s, err := shortSHA(root, env(nil)); err != nil || s != "eeeeeee" {
		t.Fatalf("packed ref: %q %v", s, err)
	}
	must(t, os.WriteFile(filepath.Join(git, "HEAD"), []byte(strings.Repeat("d", 40)+"\n"), 0o644))
	if s, err := shortSHA(root, env(nil)); err != nil || s != "ddddddd" {
		t.Fatalf("detached: %q %v", s, err)
	}
	wt := filepath.Join(t.TempDir(), "wt")
	must(t, os.MkdirAll(wt, 0o755))
	must(t, os.WriteFile(filepath.Join(wt, ".git"), []byte("gitdir: "+git+"\n"), 0o644))
	if s, err := shortSHA(wt, env(nil)); err != nil || s != "ddddddd" {
		t.Fatalf("worktree: %q %v", s, err)
	}
	if _, err := shortSHA(t.TempDir(), env(nil)); err == nil || !strings.Contains(err.Error(), "GITHUB_SHA") {
		t.Fatalf("want no-git error with a hint, got %v", err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func shortSHA(dir string, getenv func(string) string) (string, error) {
	c, err := Commit(dir, getenv)
	if err != nil {
		return "", err
	}
	return c.Short(), nil
}

func pinned(t testing.TB, ref string) artifact.Pinned {
	t.Helper()
	p, err := artifact.ParsePinned(ref)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Tags are immutable: pushing the same digest again is a no-op, another digest is refused.
func TestPushIsIdempotentAndRespectsImmutableTags(t *testing.T) {
	ctx := context.Background()
	reg, counter := startRegistry(t)
	dir, want := writeLayout(t)
	repo := reg.Host + "/demo-app"
	if _, err := Push(ctx, reg, repo, "abc1234", dir); err != nil {
		t.Fatal(err)
	}
	counter.all.Store(0)
	again, err := Push(ctx, reg, repo, "abc1234", dir)
	if err != nil || !again.Existed || again.Image.Digest() != want {
		t.Fatalf("same digest again must be a no-op: %+v %v", again, err)
	}
	if counter.all.Load() != 1 {
		t.Fatalf("a no-op push makes one manifest request (HEAD of the tag), made %d", counter.all.Load())
	}
	otherDir, other := writeLayout(t)
	_, err = Push(ctx, reg, repo, "abc1234", otherDir)
	var conflict *TagConflictError
	if !errors.As(err, &conflict) || conflict.Existing != want || conflict.Want != other || !strings.Contains(err.Error(), "immutable") {
		t.Fatalf("another digest under the same tag must be refused: %v", err)
	}
	if res, err := ResolveTag(ctx, reg, repo, "abc1234"); err != nil || res.Image.Digest() != want {
		t.Fatalf("the tag must still hold the first digest: %+v %v", res, err)
	}
}

// Promotion copies by digest between registries: same digest, idempotent, immutable.
func TestCopyBetweenRegistriesKeepsTheDigest(t *testing.T) {
	ctx := context.Background()
	src, _ := startRegistry(t)
	dst, _ := startRegistry(t)
	dir, want := writeLayout(t)
	if _, err := Push(ctx, src, src.Host+"/demo-app", "abc1234", dir); err != nil {
		t.Fatal(err)
	}
	from := pinned(t, src.Host+"/demo-app:abc1234@"+want)
	to := dst.Host + "/prod/demo-app"
	copied, err := Copy(ctx, src.At(""), from, dst, to)
	if err != nil {
		t.Fatal(err)
	}
	if copied.Image.String() != to+"@"+want || copied.Image.Tag() != "abc1234" || copied.Existed {
		t.Fatalf("copied %+v", copied)
	}
	again, err := Copy(ctx, src.At(""), from, dst, to)
	if err != nil || !again.Existed {
		t.Fatalf("a second copy is a no-op: %+v %v", again, err)
	}
	otherDir, _ := writeLayout(t)
	if _, err := Push(ctx, src, src.Host+"/demo-app", "def5678", otherDir); err != nil {
		t.Fatal(err)
	}
	res, _ := ResolveTag(ctx, src, src.Host+"/demo-app", "def5678")
	moved, _ := res.Image.WithTag("abc1234")
	var conflict *TagConflictError
	if _, err := Copy(ctx, src.At(""), moved, dst, to); !errors.As(err, &conflict) {
		t.Fatalf("copying another digest under an existing tag must be refused: %v", err)
	}
	untagged := pinned(t, src.Host+"/demo-app@"+want)
	if _, err := Copy(ctx, src.At(""), untagged, dst, to); err == nil || !strings.Contains(err.Error(), "no tag") {
		t.Fatalf("an untagged source must be refused: %v", err)
	}
	absent := pinned(t, src.Host+"/demo-app:abc1234@sha256:"+strings.Repeat("0", 64))
	if _, err := Copy(ctx, src.At(""), absent, dst, to+"2"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a digest the source does not hold: %v", err)
	}
}

// An export may wrap the image in an index (with attestations beside it): the one runnable image is
// pushed; two runnable images are refused.
func TestPushLayoutWithANestedIndex(t *testing.T) {
	img, _ := random.Image(256, 1)
	att, _ := random.Image(64, 1)
	inner := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
		mutate.IndexAddendum{Add: att, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "unknown", Architecture: "unknown"}}})
	dir := filepath.Join(t.TempDir(), "layout")
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendIndex(inner); err != nil {
		t.Fatal(err)
	}
	reg, _ := startRegistry(t)
	pushed, err := Push(context.Background(), reg, reg.Host+"/demo-app", "abc1234", dir)
	want, _ := img.Digest()
	if err != nil || pushed.Image.Digest() != want.String() {
		t.Fatalf("pushed %+v %v, want %s", pushed, err, want)
	}
	two := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
		mutate.IndexAddendum{Add: att, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64"}}})
	dir2 := filepath.Join(t.TempDir(), "layout")
	p2, _ := layout.Write(dir2, empty.Index)
	if err := p2.AppendIndex(two); err != nil {
		t.Fatal(err)
	}
	if _, err := Push(context.Background(), reg, reg.Host+"/demo-app", "def5678", dir2); err == nil || !strings.Contains(err.Error(), "exactly one image") {
		t.Fatalf("two platforms must be refused: %v", err)
	}
}
