package stackrun

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func shellExecutor(t *testing.T) *LocalExecutor {
	t.Helper()
	e, err := NewLocalExecutor(t.TempDir(), "sh")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(e.Workspace, "stacks", "a"), 0o755); err != nil {
		t.Fatal(err)
	}
	return e
}

func TestLocalExecutorWritesFilesRunsInDirAndCollects(t *testing.T) {
	e := shellExecutor(t)
	res, err := e.Run(context.Background(), Invocation{
		Stack: "a", Dir: "stacks/a",
		Args:    []string{"-c", `pwd; cat ../../work/in.txt; echo "$GREETING" > ../../work/out.txt; echo oops >&2; exit 3`},
		Env:     map[string]string{"GREETING": "hello"},
		Files:   map[string][]byte{"work/in.txt": []byte("input\n")},
		Collect: []string{"work/out.txt", "work/missing.txt"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 3 || !strings.HasSuffix(strings.Split(string(res.Stdout), "\n")[0], "/stacks/a") ||
		!strings.Contains(string(res.Stdout), "input") || string(res.Stderr) != "oops\n" {
		t.Fatalf("result %+v stdout %q", res, res.Stdout)
	}
	if string(res.Files["work/out.txt"]) != "hello\n" || len(res.Files) != 1 {
		t.Fatalf("collected %v", res.Files)
	}
	if st, _ := os.Stat(filepath.Join(e.Workspace, "work", "in.txt")); st.Mode().Perm() != 0o600 {
		t.Fatalf("input file mode %v", st.Mode())
	}
}

func TestLocalExecutorRefusesPathsOutsideTheWorkspace(t *testing.T) {
	e := shellExecutor(t)
	for _, inv := range []Invocation{
		{Dir: "../elsewhere", Args: []string{"-c", "true"}},
		{Dir: "stacks/a", Args: []string{"-c", "true"}, Files: map[string][]byte{"../x": nil}},
		{Dir: "stacks/a", Args: []string{"-c", "true"}, Collect: []string{"/etc/passwd"}},
	} {
		if _, err := e.Run(context.Background(), inv); err == nil || !strings.Contains(err.Error(), "stay inside") {
			t.Fatalf("%+v: want a refusal, got %v", inv, err)
		}
	}
}

func TestLocalExecutorInterruptsOnCancel(t *testing.T) {
	e := shellExecutor(t)
	e.GracePeriod = 2 * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := e.Run(ctx, Invocation{Dir: "stacks/a", Args: []string{"-c", "sleep 30"}})
	if err == nil || time.Since(start) > 5*time.Second {
		t.Fatalf("cancel did not stop the process in time: %v after %s", err, time.Since(start))
	}
}

func TestNewLocalExecutorNamesAMissingBinary(t *testing.T) {
	if _, err := NewLocalExecutor(t.TempDir(), "no-such-terraform"); err == nil || !strings.Contains(err.Error(), "TF_BINARY") {
		t.Fatalf("got %v", err)
	}
}
