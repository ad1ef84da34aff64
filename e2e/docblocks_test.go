//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/platformteam/delivery/internal/sandbox/sandboxtest"
	"github.com/platformteam/delivery/internal/workflows"
)

// docShellPrelude runs a documented block as written against the sandbox: `dagger call ...` goes
// through scripts/dagger-local.sh (the sandbox's connection flags; the block's own --env is kept), and
// $DAGGER_AWS, the runbooks' real-account credential flags, is empty.
const docShellPrelude = `set -euo pipefail
export DAGGER_AWS=""
dagger() {
  if [ "${1:-}" != call ]; then echo "doc runner: only 'dagger call' runs on the sandbox, not: dagger $*" >&2; return 2; fi
  shift
  "$DOC_REPO/scripts/dagger-local.sh" "$@"
}
`

// docBlocks are the shell blocks of file (relative to the repository root) that this test is marked
// to run, in document order; it fails when there are none (a marker was moved or dropped).
func docBlocks(t *testing.T, file string) []workflows.DocBlock {
	t.Helper()
	all, err := workflows.DocBlocks(repoRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	// A subtest runs the blocks its parent test is marked for.
	test, _, _ := strings.Cut(t.Name(), "/")
	bs := workflows.BlocksRunBy(all, file, test)
	if len(bs) == 0 {
		t.Fatalf("%s has no shell block marked <!-- doc-test: run %s -->", file, test)
	}
	return bs
}

// runDocBlock runs one documented block with bash in dir (the repository, or a copy of it), its
// placeholders replaced by values, and returns its output; a failing block fails the test, naming
// where the block is.
func runDocBlock(t *testing.T, sb *sandboxtest.Sandbox, b workflows.DocBlock, dir string, values map[string]string) string {
	t.Helper()
	script, err := workflows.RunnableScript(b, values)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", docShellPrelude+script)
	cmd.Dir = dir
	cmd.Env = append(sb.Environ(), "DOC_REPO="+dir, "NO_COLOR=1", "DAGGER_NO_NAG=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err = cmd.Run()
	t.Logf("doc block %s: %s (%v)", b.Where(), time.Since(start).Round(time.Second), err)
	if err != nil {
		t.Fatalf("the documented block %s fails on the sandbox: %v\n--- block\n%s\n--- output\n%s", b.Where(), err, script, tail(out.String(), 60))
	}
	return out.String()
}

// runDocBlockLines runs each command of a block whose commands are independent (no shell state
// carried from one to the next) on its own, and returns each one's output.
func runDocBlockLines(t *testing.T, sb *sandboxtest.Sandbox, b workflows.DocBlock, dir string, values map[string]string) []string {
	t.Helper()
	script, err := workflows.RunnableScript(b, values)
	if err != nil {
		t.Fatal(err)
	}
	var outs []string
	for i, line := range workflows.ShellLines(script) {
		one := b
		one.Text = line
		one.Line = b.Line + 1 + i // approximate: the i-th command of the block
		outs = append(outs, runDocBlock(t, sb, one, dir, nil))
	}
	return outs
}

// The README's first command, as written.
func runReadmeDemo(t *testing.T, sb *sandboxtest.Sandbox, root string) string {
	t.Helper()
	bs := docBlocks(t, "README.md")
	if len(bs) != 1 || strings.TrimSpace(bs[0].Text) != "make demo" {
		t.Fatalf("README.md: the block this test runs must be `make demo`, found %+v", bs)
	}
	return runDocBlock(t, sb, bs[0], root, nil)
}

func writeJSONFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
