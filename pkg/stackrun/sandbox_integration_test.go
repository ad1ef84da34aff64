//go:build integration

package stackrun

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/platformteam/delivery/internal/sandbox/sandboxtest"
)

// The local environment as a developer runs it: the repository's environments/local against the
// sandbox's moto, with the stand-in stacks of sandbox/blueprint. Apply is idempotent on the shared
// sandbox (the stand-ins hold only terraform_data), so the test can run on a sandbox already in use.
func TestIntegrationLocalEnvironmentOnTheSandbox(t *testing.T) {
	sb := sandboxtest.Env(t)
	ctx := context.Background()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	newRunner := func() (*Runner, *strings.Builder) {
		exec, err := NewLocalExecutor(root, sb.Terraform)
		if err != nil {
			t.Fatal(err)
		}
		exec.BaseEnv = append(sb.Environ(), "TF_CLI_CONFIG_FILE=")
		out := &strings.Builder{}
		r, err := New(ctx, Options{Root: root, Environment: "local", Executor: exec, PlanDir: t.TempDir(),
			Out: &lockedWriter{b: out}, Progress: &lockedWriter{b: &strings.Builder{}}})
		if err != nil {
			t.Fatal(err)
		}
		return r, out
	}
	r, out := newRunner()
	if len(r.Selected()) < 7 {
		t.Fatalf("local environment selects %v: expected the sandbox blueprint's stacks", r.Selected())
	}
	mustSucceed(t, r.Apply(ctx), out)
	r, out = newRunner()
	drift := r.Drift(ctx)
	mustSucceed(t, drift, out)
	if d, u := drift.Drifted(), drift.Unapplied(); len(d)+len(u) > 0 {
		t.Fatalf("right after apply: changed outside Terraform %v, code not applied %v\n%s", d, u, out)
	}
	r, out = newRunner()
	outs := r.Outputs(ctx)
	mustSucceed(t, outs, out)
	if res, _ := outs.Result("apps/demo-app/ecs"); string(res.Outputs["cluster_name"]) == "" {
		t.Fatalf("apps/demo-app/ecs has no cluster_name output read through remote state: %+v", res)
	}
}
