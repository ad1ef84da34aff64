package workflows

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Every shell block of README.md, docs/ and docs/runbooks/ is run by a test on the sandbox, run by CI,
// or marked as needing a real account (with the reason); every other block names its language.
func TestEveryDocumentedShellBlockIsRunOrMarked(t *testing.T) {
	blocks, err := DocBlocks(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	tests, err := TestFunctions(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	var ci []byte
	for _, f := range []string{".ci/run", "scripts/test.sh"} {
		data, err := os.ReadFile(filepath.Join(repoRoot, f))
		if err != nil {
			t.Fatal(err)
		}
		ci = append(ci, data...)
	}
	shell := 0
	for _, b := range blocks {
		if b.IsShell() {
			shell++
		}
	}
	if shell < 20 || len(tests) < 100 {
		t.Fatalf("found %d shell blocks and %d test functions: the extraction is broken", shell, len(tests))
	}
	for _, f := range CheckDocBlocks(blocks, tests, string(ci)) {
		t.Errorf("%s", f)
	}
	// The blocks tests run use only the placeholders those tests give values to (e2e/e2e_test.go).
	given := map[string]string{"env": "local", "revision": "2", "commit": "c", "short-sha": "c",
		"previous version id": "p", "current version id": "c"}
	for _, b := range blocks {
		if b.IsShell() && b.Marker.Kind == MarkerRun {
			if _, err := RunnableScript(b, given); err != nil {
				t.Errorf("%v (a placeholder the test running it gives no value to)", err)
			}
		}
	}
}

// scripts/test.sh runs its go test commands inside stages and functions: they count wherever the
// line has them.
func TestRanByCIFindsTheStagedGoTests(t *testing.T) {
	staged := "unit() { go vet ./... && go test -count=1 ./...; }\n" +
		"stage \"integration tests (sandbox)\" go test -count=1 -tags integration -timeout 40m ./...\n"
	for _, cmd := range []string{"go test ./pkg/a ./pkg/b", "go test -tags integration ./pkg/a"} {
		if !ranByCI(cmd, staged) {
			t.Errorf("%q is run by the staged script", cmd)
		}
	}
	for _, cmd := range []string{"go test -tags e2e ./pkg/a", "go test -run X ./pkg/a"} {
		if ranByCI(cmd, staged) {
			t.Errorf("%q is not run by the staged script", cmd)
		}
	}
}

func TestDocBlocksMarkersAndChecks(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "README.md", strings.Join([]string{
		"<!-- doc-test: ci -->",
		"```sh",
		"make test",
		"```",
		"```",
		"make demo",
		"```",
		"<!-- doc-test: run TestThere -->",
		"```sh",
		"go run ./cmd/release ecs diff --env <env> \\",
		"   --json   # what changes in <some tree>",
		"```",
		"<!-- doc-test: run TestMissing -->",
		"```bash",
		"true",
		"```",
		"```sh",
		"unmarked",
		"```",
		"<!-- doc-test: real-account: needs the public zone -->",
		"```sh",
		"curl -s https://demo.<zone>/",
		"```",
		"<!-- doc-test: ci -->",
		"```sh",
		"make lint",
		"go test ./pkg/a ./pkg/b",
		"go test -tags integration ./pkg/a",
		"go test -run X ./pkg/a",
		"```",
		"<!-- doc-test: run TestThere -->",
		"```json",
		"{}",
		"```",
		"1. A list item:",
		"   <!-- doc-test: run TestThere -->",
		"   ```sh",
		"   echo <who>",
		"   ```",
	}, "\n"))
	blocks, err := DocBlocks(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(blocks) != 9 {
		t.Fatalf("blocks %+v", blocks)
	}
	if m := blocks[5].Marker; m.Kind != MarkerRealAccount || m.Reason != "needs the public zone" {
		t.Errorf("real-account marker %+v", m)
	}
	var got []string
	for _, f := range CheckDocBlocks(blocks, map[string]bool{"TestThere": true}, "make test\ngo test -count=1 ./...\n") {
		got = append(got, f.String())
	}
	want := []string{
		"README.md:5: the code block names no language",
		"README.md:14: the marker names TestMissing",
		"README.md:17: a shell block without a doc-test marker",
		"README.md:25: marked as run by CI, but CI (.ci/run, scripts/test.sh) does not run \"make lint\"",
		"README.md:25: marked as run by CI, but CI (.ci/run, scripts/test.sh) does not run \"go test -tags integration ./pkg/a\"",
		"README.md:25: marked as run by CI, but CI (.ci/run, scripts/test.sh) does not run \"go test -run X ./pkg/a\"",
		"README.md:32: a doc-test marker on a json block",
	}
	if len(got) != len(want) {
		t.Fatalf("findings\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("finding %d: %s, want %s...", i, got[i], want[i])
		}
	}

	run := BlocksRunBy(blocks, "README.md", "TestThere")
	if len(run) != 2 || run[1].Text != "echo <who>" {
		t.Fatalf("blocks run by TestThere: %+v", run)
	}
	if l := ShellLines(run[0].Text); len(l) != 1 || l[0] != "go run ./cmd/release ecs diff --env <env> --json" {
		t.Errorf("shell lines %q", l)
	}
	script, err := RunnableScript(run[0], map[string]string{"env": "local"})
	if err != nil || script != "go run ./cmd/release ecs diff --env local \\\n   --json" {
		t.Errorf("script %q %v", script, err)
	}
	if _, err := RunnableScript(run[1], map[string]string{"env": "local"}); err == nil || !strings.Contains(err.Error(), "no value for <who>") {
		t.Errorf("a placeholder without a value must be refused: %v", err)
	}

	writeFile(t, dir, "docs/x.md", "<!-- doc-test: runs TestX -->\n```sh\nx\n```\n")
	if _, err := DocBlocks(dir); err == nil || !strings.Contains(err.Error(), "docs/x.md:2") {
		t.Errorf("an unknown marker kind must be refused with its place: %v", err)
	}
}
