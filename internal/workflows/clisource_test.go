package workflows

import (
	"os/exec"
	"path"
	"slices"
	"strings"
	"testing"
)

// The module builds the project's CLIs from --cli-source alone (ci/toolbox.go): its +ignore keeps
// go.mod, go.sum, cmd, pkg and the internal packages it names. Every package of the module that
// cmd/stacks and cmd/release import must be kept, or the build inside Dagger fails.
func TestCLISourceHoldsEveryPackageTheCLIsImport(t *testing.T) {
	r := loadReal(t)
	ignore := r.Module.Constructor.Flags["cli-source"].Ignore
	if len(ignore) == 0 {
		t.Fatal("the constructor has no --cli-source with +ignore patterns (ci/main.go)")
	}
	kept := map[string]bool{}
	var keptInternal []string
	for _, p := range ignore {
		if dir, ok := strings.CutPrefix(p, "!"); ok {
			kept[dir] = true
			if strings.HasPrefix(dir, "internal/") {
				keptInternal = append(keptInternal, dir)
			}
		}
	}
	for _, want := range []string{"go.mod", "go.sum", "cmd", "pkg"} {
		if !kept[want] {
			t.Errorf("--cli-source +ignore does not keep %s: %v", want, ignore)
		}
	}
	cmd := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", "./cmd/stacks", "./cmd/release")
	cmd.Dir = repoRoot
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	const module = "github.com/platformteam/delivery/"
	var checked int
	for _, pkg := range strings.Fields(string(out)) {
		rel, ok := strings.CutPrefix(pkg, module)
		if !ok || !strings.HasPrefix(rel, "internal/") {
			continue
		}
		checked++
		// internal/<name>[/...] is kept when "!internal/<name>" is.
		top := path.Join(strings.SplitN(rel, "/", 3)[:2]...)
		if !kept[top] {
			t.Errorf("the CLIs import %s, but --cli-source keeps only %v of internal/: add \"!%s\" to its +ignore in ci/main.go", rel, keptInternal, top)
		}
	}
	if checked == 0 {
		t.Fatal("go list found no internal package among the CLIs' imports: the listing is broken")
	}
}

func TestIgnorePragmaReadsOneOrSeveralLines(t *testing.T) {
	for pragmas, want := range map[string][]string{
		"// +defaultPath=\"/\"\n// +ignore=[\"*\", \"!go.mod\"]\n":  {"*", "!go.mod"},
		"// +ignore=[\n//   \"**_test.go\",\n//   \"!pkg\"\n// ]\n": {"**_test.go", "!pkg"},
		"// +optional\n": nil,
	} {
		got, err := ignorePragma(pragmas)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("ignorePragma(%q) = %v, %v; want %v", pragmas, got, err, want)
		}
	}
	if _, err := ignorePragma("// +ignore=[\"unterminated\n"); err == nil {
		t.Error("a malformed +ignore list is accepted")
	}
}
