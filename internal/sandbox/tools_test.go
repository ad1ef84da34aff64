package sandbox

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The project's own tools' cache keys must cover every package of this module each is built from, or
// an edit of one would leave the sandbox running a stale binary.
func TestToolSourcesCoverTheirDependencies(t *testing.T) {
	root, err := FindRepoRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	for main, sources := range map[string][]string{awsFrontMain: awsFrontSources, kubeTwinMain: kubeTwinSources} {
		cmd := exec.Command("go", "list", "-deps", "-f", "{{if .Module}}{{if .Module.Main}}{{.Dir}}{{end}}{{end}}", "./"+main)
		cmd.Dir = root
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list: %v", err)
		}
		for _, dir := range strings.Fields(string(out)) {
			rel, _ := filepath.Rel(root, dir)
			covered := false
			for _, src := range sources {
				covered = covered || rel == src || strings.HasPrefix(rel, src+string(filepath.Separator))
			}
			if !covered {
				t.Errorf("%s is built from %s, which its sources list does not hash", main, rel)
			}
		}
	}
}

// pkg/ is what the pipeline runs: only its tests may use the stand-ins under internal/sandbox and
// internal/fake.
func TestPkgDoesNotImportStandIns(t *testing.T) {
	root, err := FindRepoRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "list", "-deps", "-f", `{{.ImportPath}}`, "./pkg/...", "./cmd/stacks", "./cmd/release", "./cmd/gha")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		for _, standIn := range []string{ModulePath + "/internal/sandbox", ModulePath + "/internal/fake"} {
			if pkg == standIn || strings.HasPrefix(pkg, standIn+"/") {
				t.Errorf("the pipeline's code depends on the stand-in %s (only _test.go files may)", pkg)
			}
		}
	}
}
