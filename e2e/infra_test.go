//go:build e2e

package e2e

import (
	"strings"
	"testing"

	"github.com/platformteam/delivery/internal/sandbox/sandboxtest"
)

// TestInfraLintThroughDagger: `dagger call lint` as a user runs it (scripts/dagger-local.sh, under
// `stacks guard`): the local blueprint is clean, and a blueprint that writes remote state in every form
// gets its two cycles, the read of a missing stack and its off-scheme keys reported in one run.
func TestInfraLintThroughDagger(t *testing.T) {
	sb := sandboxtest.Env(t)
	requireDagger(t, sb)
	root := repoRoot(t)
	out, err := daggerLocal(t, sb, root, "lint")
	if err != nil || !strings.Contains(out, "0 errors") {
		t.Fatalf("lint --env local: %v\n%s", err, tail(out, 40))
	}
	// A blueprint that writes remote state in every form: every problem in one run.
	out, err = daggerLocal(t, sb, root, "lint", "--blueprint", "pkg/blueprint/testdata/forms")
	if err == nil {
		t.Fatalf("lint of the forms fixture must fail:\n%s", tail(out, 40))
	}
	for _, want := range []string{
		"[stack-cycle] dependency cycle: app -> db -> app",
		"[stack-cycle] dependency cycle: loop/x -> loop/y -> loop/x",
		`[remote-state-target] remote state "ghost" reads stack "ghost"`,
		`hard-codes environment "staging"`,
		`key "net/terraform.tfstate" does not start with ${var.environment}/`,
		`key "${var.environment}/net/state.json" is not <env>/<stack>/terraform.tfstate`,
		"8 errors",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("lint output lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(tail(out, 60))
	}
}
