// Package versionpin holds the test that keeps the pinned Dagger version in agreement everywhere it
// must be written literally. dagger.json's engineVersion is the pin; workflows read it at run time.
package versionpin

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/platformteam/delivery/internal/sandbox/daggerengine"
)

func read(t *testing.T, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestDaggerVersionIsPinnedOnce(t *testing.T) {
	var mod struct {
		EngineVersion string `json:"engineVersion"`
	}
	if err := json.Unmarshal([]byte(read(t, "dagger.json")), &mod); err != nil {
		t.Fatalf("dagger.json: %v", err)
	}
	pin := mod.EngineVersion
	if !regexp.MustCompile(`^v\d+\.\d+\.\d+$`).MatchString(pin) {
		t.Fatalf("dagger.json engineVersion %q is not a release version", pin)
	}
	places := map[string]string{
		"internal/sandbox/daggerengine.Version (the sandbox's engine and CLI)": daggerengine.Version,
		"tools/dagger/go.mod (the engine build)":                               find(t, "tools/dagger/go.mod", `github\.com/dagger/dagger (v\S+)`),
		"ci/toolbox.go daggerVersion":                                          find(t, "ci/toolbox.go", `const daggerVersion = "(v[^"]+)"`),
	}
	for where, v := range places {
		if v != pin {
			t.Errorf("%s is %s but dagger.json pins %s: change both together", where, v, pin)
		}
	}
	for _, wf := range []string{".github/workflows/pr.yml", ".github/workflows/deploy.yml", ".github/workflows/drift.yml"} {
		if regexp.MustCompile(`version: *["']?\d+\.\d+\.\d+`).MatchString(read(t, wf)) {
			t.Errorf("%s writes a literal Dagger version: read it from dagger.json instead", wf)
		}
	}
}

func find(t *testing.T, rel, pattern string) string {
	t.Helper()
	m := regexp.MustCompile(pattern).FindStringSubmatch(read(t, rel))
	if m == nil {
		t.Fatalf("%s: no match for %s", rel, pattern)
	}
	return m[1]
}
