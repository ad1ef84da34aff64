package sandbox

import (
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
