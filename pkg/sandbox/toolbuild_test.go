package sandbox

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The AWS endpoint's cache key must cover every package of this module it is built from, or an edit
// of one would leave the sandbox running a stale binary.
func TestAWSFrontSourcesCoverItsDependencies(t *testing.T) {
	root, err := FindRepoRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "list", "-deps", "-f", "{{if .Module}}{{if .Module.Main}}{{.Dir}}{{end}}{{end}}", "./"+awsFrontMain)
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dir := range strings.Fields(string(out)) {
		rel, _ := filepath.Rel(root, dir)
		covered := false
		for _, src := range awsFrontSources {
			covered = covered || rel == src || strings.HasPrefix(rel, src+string(filepath.Separator))
		}
		if !covered {
			t.Errorf("aws-front is built from %s, which awsFrontSources does not hash", rel)
		}
	}
}

func TestProjectSourceVersionChangesWithNestedSources(t *testing.T) {
	root := t.TempDir()
	write := func(path, content string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(root, path)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, path), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a/main.go", "package main")
	write("a/sub/sub.go", "package sub")
	before := projectSourceVersion(root, "a")
	write("a/sub/sub_test.go", "package sub // tests do not count")
	write("a/testdata/x.go", "package x // test data does not count")
	if got := projectSourceVersion(root, "a"); got != before {
		t.Fatalf("tests or test data changed the version: %s → %s", before, got)
	}
	write("a/sub/sub.go", "package sub // edited")
	if got := projectSourceVersion(root, "a"); got == before || !strings.HasPrefix(got, "src-") {
		t.Fatalf("an edit below the directory kept the version %s (now %s)", before, got)
	}
}
