package blueprint

import (
	"fmt"
	"sort"
	"strings"
	"testing"
)

func lintFixture(t *testing.T, root string) Findings {
	t.Helper()
	bp, err := Load(root)
	if err != nil {
		t.Fatal(err)
	}
	ov, err := LoadOverlay(root, "dev")
	if err != nil {
		t.Fatal(err)
	}
	return Lint(bp, []*Overlay{ov})
}

func TestLintGoodBlueprintHasNoFindings(t *testing.T) {
	if fs := lintFixture(t, "testdata/good"); len(fs) > 0 {
		t.Fatalf("want no findings on testdata/good, got:\n%v", fs)
	}
}

// Every rule has at least one violation in testdata/bad, at a known file and line.
func TestLintBadBlueprintReportsEveryRuleAtItsLine(t *testing.T) {
	want := []string{
		"environments/dev/app.tfvars:1 tfvars-type",
		"environments/dev/backend.hcl:1 env-backend", // no locking
		"environments/dev/backend.hcl:3 env-backend", // key set
		"environments/dev/tags.tfvars:2 env-tags",
		"modules/label/versions.tf:2 terraform-version", // admits terraform < 1.10
		"modules/label/versions.tf:5 provider-version",  // aws >= 5.0: no upper bound
		"modules/label/versions.tf:9 provider-version",  // random: no version at all
		"modules/leaky/README.md:0 module-layout",
		"modules/leaky/main.tf:1 module-no-provider",
		"modules/leaky/main.tf:6 module-no-backend",
		"modules/leaky/main.tf:9 module-no-remote-state",
		"modules/leaky/outputs.tf:0 module-layout",
		"modules/leaky/variables.tf:1 variable-type",
		"modules/leaky/variables.tf:5 variable-description",
		"modules/leaky/versions.tf:0 module-layout",
		"stacks/core/app/main.tf:1 remote-state-key",
		"stacks/core/app/main.tf:6 remote-state-target",
		"stacks/core/app/main.tf:11 remote-state-config",
		"stacks/core/app/main.tf:16 remote-state-backend",
		"stacks/core/app/main.tf:16 remote-state-config", // no var.remote_state either
		"stacks/core/app/main.tf:16 remote-state-key",    // and no key: it orders nothing
		"stacks/core/app/main.tf:21 remote-state-key",
		"stacks/core/app/stack.hcl:1 stack-depends-on",
		"stacks/core/app/.terraform.lock.hcl:0 stack-lock-file", // uses providers (aws), no lock file
		"stacks/core/net/.terraform.lock.hcl:0 stack-lock-file",
		"stacks/core/app/versions.tf:0 stack-backend",
		"stacks/core/app/versions.tf:0 stack-layout",
		"stacks/core/broken/main.tf:2 hcl-syntax",
		"stacks/core/broken/main.tf:3 hcl-syntax", // hcl reports the unterminated string on both lines
		"stacks/core/extra/main.tf:0 stack-layout",
		"stacks/core/extra/outputs.tf:0 stack-layout",
		"stacks/core/extra/variables.tf:1 stack-inputs",
		"stacks/core/net/main.tf:1 module-inputs", // required name missing
		"stacks/core/net/main.tf:3 module-inputs", // unknown colour
		"stacks/core/net/main.tf:6 module-source",
		"stacks/core/net/main.tf:11 module-output",
		"stacks/core/net/main.tf:12 module-output",
		"stacks/core/net/providers.tf:1 provider-tags",
		"stacks/core/net/versions.tf:2 stack-backend",
	}
	got := map[string]bool{}
	for _, f := range lintFixture(t, "testdata/bad") {
		got[fmt.Sprintf("%s:%d %s", f.File, f.Line, f.Rule)] = true
		if f.Hint == "" || f.Message == "" {
			t.Errorf("finding without message or fix hint: %+v", f)
		}
	}
	var missing []string
	for _, w := range want {
		if !got[w] {
			missing = append(missing, w)
		}
		delete(got, w)
	}
	var extra []string
	for g := range got {
		extra = append(extra, g)
	}
	sort.Strings(extra)
	if len(missing) > 0 || len(extra) > 0 {
		t.Fatalf("missing findings:\n  %s\nunexpected findings:\n  %s", strings.Join(missing, "\n  "), strings.Join(extra, "\n  "))
	}
}

func TestLintCountsOnlyErrorsAsFailures(t *testing.T) {
	fs := lintFixture(t, "testdata/bad")
	warnings := 0
	for _, f := range fs {
		if f.Severity == Warning {
			warnings++
			if !strings.HasSuffix(f.Rule, "-layout") && f.Rule != RuleStackLockFile {
				t.Errorf("only layout and lock-file rules are warnings, got %+v", f)
			}
		}
	}
	if fs.Errors() != len(fs)-warnings || fs.Errors() == 0 {
		t.Fatalf("errors %d, warnings %d, total %d", fs.Errors(), warnings, len(fs))
	}
}

func TestFindingStringHasLocationRuleAndHint(t *testing.T) {
	f := Finding{File: "stacks/a/main.tf", Line: 3, Rule: "module-output", Severity: Error, Message: "m", Hint: "h"}
	if got, want := f.String(), "stacks/a/main.tf:3: error [module-output] m (fix: h)"; got != want {
		t.Fatalf("got %q want %q", got, want)
	}
}
