//go:build integration

package stackrun

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	motoserver "github.com/platformteam/delivery/internal/sandbox/moto"
)

// moto is one private moto server for the whole test binary (see TestMain); each test gets its own bucket.
var moto *motoserver.Server

var bucketSeq atomic.Int64

func TestMain(m *testing.M) {
	var err error
	moto, err = motoserver.Start(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, "integration tests need moto:", err)
		os.Exit(1)
	}
	code := m.Run()
	moto.Stop()
	os.Exit(code)
}

// terraformBinary is TF_BINARY, else the sandbox's SANDBOX_TERRAFORM, else terraform from PATH.
func terraformBinary(t testing.TB) string {
	t.Helper()
	for _, b := range []string{os.Getenv("TF_BINARY"), os.Getenv("SANDBOX_TERRAFORM"), "terraform"} {
		if b == "" {
			continue
		}
		if p, err := exec.LookPath(b); err == nil {
			return p
		}
	}
	t.Fatal("terraform: no binary found (set TF_BINARY or SANDBOX_TERRAFORM, or put terraform on PATH)")
	return ""
}

// itFixture copies testdata/<name> to a temp repository, creates a fresh state bucket on moto and writes
// environments/it/backend.hcl for it.
func itFixture(t testing.TB, name string) (root, bucket string) {
	t.Helper()
	root = t.TempDir()
	src := filepath.Join("testdata", name)
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		dst := filepath.Join(root, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	bucket = fmt.Sprintf("tf-state-it-%d-%d", os.Getpid(), bucketSeq.Add(1))
	if err := moto.CreateBucket(context.Background(), bucket); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "environments", "it", "backend.hcl"), []byte(moto.BackendHCL(bucket)), 0o644); err != nil {
		t.Fatal(err)
	}
	return root, bucket
}

// itRunner builds a runner on the real terraform binary against moto.
func itRunner(t testing.TB, root string, mutate func(*Options)) (*Runner, *strings.Builder) {
	t.Helper()
	exec, err := NewLocalExecutor(root, terraformBinary(t))
	if err != nil {
		t.Fatal(err)
	}
	exec.BaseEnv = append(os.Environ(), moto.Env()...)
	exec.BaseEnv = append(exec.BaseEnv, "TF_CLI_CONFIG_FILE=") // no user CLI config in tests
	out := &strings.Builder{}
	opts := Options{Root: root, Environment: "it", Executor: exec, Out: &lockedWriter{b: out}, Progress: &lockedWriter{b: &strings.Builder{}}}
	if mutate != nil {
		mutate(&opts)
	}
	r, err := New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return r, out
}

func mustSucceed(t testing.TB, sum *Summary, out fmt.Stringer) {
	t.Helper()
	if !sum.OK() {
		t.Fatalf("%s failed:\n%s\n--- output ---\n%s", sum.Action, sum.Markdown(), out)
	}
}
