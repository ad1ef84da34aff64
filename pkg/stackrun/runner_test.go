package stackrun

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestApplyOrdersStacksAndSkipsDependentsOfAFailure(t *testing.T) {
	fake := newFake()
	fake.failApply["core/left"] = true
	r, _ := newRunner(t, fixtureRepo(t, diamondChain, nil), fake, nil)
	sum := r.Apply(context.Background())

	want := map[string]Status{"core/net": StatusSucceeded, "misc/lone": StatusSucceeded, "core/right": StatusSucceeded,
		"core/left": StatusFailed, "core/join": StatusSkipped, "app/one": StatusSkipped, "app/two": StatusSkipped}
	for stack, status := range want {
		res, ok := sum.Result(stack)
		if !ok || res.Status != status {
			t.Errorf("%s: got %+v, want %s", stack, res, status)
		}
	}
	if res, _ := sum.Result("core/join"); res.SkippedBecause != "core/left" {
		t.Errorf("join skipped because %q", res.SkippedBecause)
	}
	if res, _ := sum.Result("app/two"); res.SkippedBecause != "app/one" {
		t.Errorf("two skipped because %q", res.SkippedBecause)
	}
	if got := fake.commands("core/join"); len(got) != 0 {
		t.Errorf("a skipped stack ran terraform: %v", got)
	}
	if res, _ := sum.Result("core/left"); !strings.Contains(res.Error, "boom") {
		t.Errorf("failure should carry terraform's error line: %q", res.Error)
	}
	if fake.applyEnds["core/right"].IsZero() || fake.starts["core/right"].Before(fake.applyEnds["core/net"]) {
		t.Errorf("core/right must start after core/net applied")
	}
	if sum.OK() {
		t.Error("summary must not be OK")
	}
}

func TestApplyStartsDependentsAsSoonAsTheirUpstreamsFinish(t *testing.T) {
	fake := newFake()
	fake.delay = 30 * time.Millisecond
	r, _ := newRunner(t, fixtureRepo(t, diamondChain, nil), fake, func(o *Options) { o.Parallelism = 8 })
	sum := r.Apply(context.Background())
	if !sum.OK() {
		t.Fatalf("apply failed: %s", sum.Markdown())
	}
	order := r.Selected()
	for _, id := range order {
		for _, up := range r.Graph().Upstreams(id) {
			if fake.starts[id].Before(fake.applyEnds[up]) {
				t.Errorf("%s started before its upstream %s finished", id, up)
			}
		}
	}
}

func TestParallelismCapsConcurrentStacks(t *testing.T) {
	reads := map[string][]string{}
	for _, id := range []string{"a/1", "a/2", "a/3", "a/4", "a/5", "a/6"} {
		reads[id] = nil
	}
	fake := newFake()
	fake.delay = 40 * time.Millisecond
	r, _ := newRunner(t, fixtureRepo(t, reads, nil), fake, func(o *Options) { o.Parallelism = 2 })
	if sum := r.Plan(context.Background()); !sum.OK() {
		t.Fatal(sum.Markdown())
	}
	if fake.maxRunning != 2 {
		t.Fatalf("max concurrent invocations %d, want 2", fake.maxRunning)
	}
}

func TestEachStackPrintsOneUninterruptedBlock(t *testing.T) {
	fake := newFake()
	fake.delay = 10 * time.Millisecond
	r, out := newRunner(t, fixtureRepo(t, diamondChain, nil), fake, func(o *Options) { o.Parallelism = 4 })
	r.Plan(context.Background())
	lines := strings.Split(out.String(), "\n")
	for _, id := range r.Selected() {
		first := -1
		for i, l := range lines {
			if strings.HasPrefix(l, "── "+id+" ·") {
				first = i
			}
		}
		if first < 0 {
			t.Fatalf("no block header for %s in:\n%s", id, out)
		}
		if lines[first+2] != "plan line 1 of "+id || lines[first+3] != "plan line 2 of "+id {
			t.Errorf("block of %s is interleaved:\n%s", id, strings.Join(lines[first:first+5], "\n"))
		}
	}
}

func planBundle(t *testing.T, root string, fake *fakeTerraform, mutate func(*Options)) (string, *Summary) {
	t.Helper()
	r, _ := newRunner(t, root, fake, func(o *Options) {
		o.Commit = "c0ffee"
		if mutate != nil {
			mutate(o)
		}
	})
	sum := r.Plan(context.Background())
	if !sum.OK() {
		t.Fatal(sum.Markdown())
	}
	return filepath.Join(root, DeliveryDir, "plans", "dev"), sum
}

func applyBundle(t *testing.T, root, bundle string, fake *fakeTerraform, mutate func(*Options)) *Summary {
	t.Helper()
	r, _ := newRunner(t, root, fake, func(o *Options) {
		o.Commit, o.Bundle = "c0ffee", bundle
		if mutate != nil {
			mutate(o)
		}
	})
	return r.Apply(context.Background())
}

func TestPlanWritesABundleAndApplyAppliesExactlyIt(t *testing.T) {
	fake := newFake()
	fake.serial["core/app"] = 7
	root := fixtureRepo(t, map[string][]string{"core/net": nil, "core/app": {"core/net"}}, nil)
	dir, sum := planBundle(t, root, fake, nil)
	if sum.Bundle != dir {
		t.Fatalf("summary names bundle %q", sum.Bundle)
	}
	for _, f := range []string{"stacks/core/app/plan.tfplan", "stacks/core/app/plan.json", BundleManifest, BundleSummary} {
		st, err := os.Stat(filepath.Join(dir, filepath.FromSlash(f)))
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Fatalf("bundle file %s: %v %v", f, st, err)
		}
	}
	b, plans, err := LoadBundle(dir)
	if err != nil {
		t.Fatal(err)
	}
	app, _ := b.Stack("core/app")
	if b.Commit != "c0ffee" || b.Environment != "dev" || app.Add != 1 || app.Status != BundlePlanned ||
		app.State != (StateVersion{Lineage: "lineage-core-app", Serial: 7}) || app.Upstreams["core/net"].Lineage != "lineage-core-net" ||
		app.Providers["hashicorp/aws"] != "5.100.0" || app.TerraformVersion != "1.11.4" ||
		app.Fingerprint.Upstreams["core/net"] == "" || len(app.Fingerprint.Files) != 1 || app.PlanSHA256 != sum256(plans["core/app"]) {
		t.Fatalf("bundle entry %+v", app)
	}
	before := len(fake.commands("core/app"))
	if sum := applyBundle(t, root, dir, fake, nil); !sum.OK() {
		t.Fatal(sum.Markdown())
	}
	if got := strings.Join(fake.commands("core/app")[before:], ","); got != "init,apply" {
		t.Fatalf("applying a bundle must never plan again, got %s", got)
	}
	if !bytes.Equal(fake.applied["core/app"], plans["core/app"]) {
		t.Fatal("apply was not given the bundle's plan file")
	}
	for _, c := range fake.calls {
		if c.Args[0] == "plan" && !strings.Contains(strings.Join(c.Args, " "), "-lock=false") {
			t.Fatalf("a plan took the state lock: %v", c.Args)
		}
	}
}

func sum256(b []byte) string { return sum(b) }

func TestApplyRefusesAStalePlanNamingStackAndReason(t *testing.T) {
	cases := map[string]struct {
		change func(root string, fake *fakeTerraform)
		reason string
	}{
		"stack file changed": {func(root string, _ *fakeTerraform) {
			p := filepath.Join(root, "stacks", "core", "app", "main.tf")
			b, _ := os.ReadFile(p)
			_ = os.WriteFile(p, append(b, []byte("# edited\n")...), 0o644)
		}, "stacks/core/app/main.tf changed"},
		"tfvars changed": {func(root string, _ *fakeTerraform) {
			_ = os.WriteFile(filepath.Join(root, "environments", "dev", "values.tfvars"), []byte("size = 3\n"), 0o644)
		}, "tfvars values"},
		"upstream outputs changed outside the run": {func(_ string, fake *fakeTerraform) {
			fake.currentOutputs = `{"id":{"sensitive":false,"type":"string","value":"two"}}`
		}, "outputs of upstream core/net changed since the plan read them, outside this run"},
		"state moved": {func(_ string, fake *fakeTerraform) {
			fake.staleAtApply["core/app"] = true
		}, "the state changed since the plan was made"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			fake := newFake()
			root := fixtureRepo(t, map[string][]string{"core/net": nil, "core/app": {"core/net"}}, nil)
			dir, _ := planBundle(t, root, fake, func(o *Options) { o.Stacks = []string{"core/app"} })
			tc.change(root, fake)
			sum := applyBundle(t, root, dir, fake, nil)
			res, _ := sum.Result("core/app")
			var stale *StalePlanError
			if !errors.As(res.Err(), &stale) || res.Outcome != "stale plan" || !strings.Contains(res.Error, "core/app") || !strings.Contains(res.Error, tc.reason) {
				t.Fatalf("want a stale plan naming core/app and %q, got %+v", tc.reason, res)
			}
			if _, applied := fake.applied["core/app"]; applied {
				t.Fatal("a stale plan was applied")
			}
		})
	}
}

func TestTamperedOrForeignBundleIsRefusedBeforeAnythingRuns(t *testing.T) {
	fake := newFake()
	root := fixtureRepo(t, map[string][]string{"core/net": nil, "core/app": {"core/net"}}, nil)
	dir, _ := planBundle(t, root, fake, nil)
	calls := len(fake.calls)
	_, err := New(context.Background(), Options{Root: root, Environment: "dev", Executor: fake, Commit: "beef", Bundle: dir})
	if err == nil || !strings.Contains(err.Error(), `planned at commit "c0ffee", this is commit "beef"`) {
		t.Fatalf("another commit: %v", err)
	}
	p := filepath.Join(dir, "stacks", "core", "app", "plan.tfplan")
	raw, _ := os.ReadFile(p)
	if err := os.WriteFile(p, append(raw, 0), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = New(context.Background(), Options{Root: root, Environment: "dev", Executor: fake, Commit: "c0ffee", Bundle: dir})
	var tampered *TamperedBundleError
	if !errors.As(err, &tampered) || tampered.Stack != "core/app" || !strings.Contains(err.Error(), "stacks/core/app/plan.tfplan") {
		t.Fatalf("tampered plan: %v", err)
	}
	if len(fake.calls) != calls {
		t.Fatal("terraform ran for a refused bundle")
	}
}

// TestUpstreamOutputChangeReplansDependents: a dependent planned against outputs its upstream changes in
// the same bundle is planned again after the upstream's apply; that re-plan is applied outside
// production and never applied to production.
func TestUpstreamOutputChangeReplansDependents(t *testing.T) {
	for _, production := range []bool{false, true} {
		t.Run(fmt.Sprintf("production=%v", production), func(t *testing.T) {
			fake := newFake()
			fake.outputChanges["core/net"] = true
			fake.afterApply["core/net"] = `{"id":{"sensitive":false,"type":"string","value":"two"}}`
			extra := map[string]string{}
			if production {
				extra["environments/dev/delivery.yaml"] = deliveryYAML + "production: true\n"
			}
			root := fixtureRepo(t, map[string][]string{"core/net": nil, "core/app": {"core/net"}}, extra)
			dir, planSum := planBundle(t, root, fake, nil)
			if app, _ := planSum.Result("core/app"); !strings.Contains(app.Note, "core/net") {
				t.Fatalf("the plan should say core/app will be planned again: %+v", app)
			}
			sum := applyBundle(t, root, dir, fake, func(o *Options) { o.Approve = true })
			app, _ := sum.Result("core/app")
			_, applied := fake.applied["core/app"]
			if production {
				if app.Status != StatusPending || applied || !strings.Contains(app.Note, "never applied to production unreviewed") {
					t.Fatalf("production re-plan: applied=%v %+v", applied, app)
				}
				return
			}
			if app.Outcome != "re-planned, applied" || !applied || !strings.Contains(app.Note, "upstream core/net changed the outputs") {
				t.Fatalf("re-plan: %+v", app)
			}
		})
	}
}

func TestProductionAppliesOnlyAnApprovedBundle(t *testing.T) {
	fake := newFake()
	root := fixtureRepo(t, map[string][]string{"core/net": nil}, map[string]string{"environments/dev/delivery.yaml": deliveryYAML + "production: true\n"})
	r, _ := newRunner(t, root, fake, nil)
	if sum := r.Apply(context.Background()); sum.OK() || !strings.Contains(sum.Error, "applies only a reviewed plan bundle") {
		t.Fatalf("apply without a bundle: %+v", sum)
	}
	dir, _ := planBundle(t, root, fake, nil)
	if sum := applyBundle(t, root, dir, fake, nil); sum.OK() || !strings.Contains(sum.Error, "--approve") {
		t.Fatalf("bundle without approval: %+v", sum)
	}
	if len(fake.applied) != 0 {
		t.Fatal("something was applied without approval")
	}
	if sum := applyBundle(t, root, dir, fake, func(o *Options) { o.Approve = true }); !sum.OK() || len(fake.applied) != 1 {
		t.Fatalf("approved bundle: %s", sum.Markdown())
	}
}

func TestHeldLockIsANamedFailureWithHolderAgeAndFix(t *testing.T) {
	fake := newFake()
	fake.lockedStack = "core/net"
	r, _ := newRunner(t, fixtureRepo(t, map[string][]string{"core/net": nil, "core/app": {"core/net"}}, nil), fake, func(o *Options) { o.LockTimeout = 2 * time.Second })
	sum := r.Apply(context.Background())
	res, _ := sum.Result("core/net")
	var lock *LockHeldError
	if !errors.As(res.Err(), &lock) || lock.ID != "1234-abcd" || lock.Who != "alice@laptop" || res.Outcome != "state locked" || lock.Age < 24*time.Hour {
		t.Fatalf("got %+v (%+v)", res, lock)
	}
	for _, want := range []string{"go run ./cmd/stacks force-unlock --env dev --stack core/net --lock-id 1234-abcd", "dev/core/net/terraform.tfstate", "alice@laptop", "since 2026-11-25 10:00:00 UTC (", " ago)"} {
		if !strings.Contains(res.Error, want) {
			t.Fatalf("message should contain %q: %s", want, res.Error)
		}
	}
	for _, c := range fake.calls {
		if c.Args[0] == "apply" && !strings.Contains(strings.Join(c.Args, " "), "-lock-timeout=2s") {
			t.Fatalf("apply must wait for the lock: %v", c.Args)
		}
	}
	if app, _ := sum.Result("core/app"); app.Status != StatusSkipped {
		t.Fatalf("dependent of a locked stack: %+v", app)
	}
}

func TestBadInputIsRejectedBeforeTerraformRuns(t *testing.T) {
	good := map[string][]string{"core/net": nil, "core/app": {"core/net"}}
	cases := map[string]struct {
		reads map[string][]string
		extra map[string]string
		opts  func(*Options)
		want  string
	}{
		"unknown environment": {good, nil, func(o *Options) { o.Environment = "prod" }, `unknown environment "prod"`},
		"unknown stack":       {good, nil, func(o *Options) { o.Stacks = []string{"core/nope"} }, "stack core/nope does not exist"},
		"cycle":               {map[string][]string{"c/a": {"c/b"}, "c/b": {"c/a"}}, nil, nil, "dependency cycle: c/a -> c/b -> c/a"},
		"malformed hcl":       {good, map[string]string{"stacks/core/net/bad.tf": "locals {\n  a = \n}\n"}, nil, "stacks/core/net/bad.tf:2"},
		"malformed tfvars":    {good, map[string]string{"environments/dev/values.tfvars": "size = = 2\n"}, nil, "environments/dev/values.tfvars:1"},
		"wrong tfvars type":   {good, map[string]string{"environments/dev/values.tfvars": "size = \"big\"\n"}, nil, "environments/dev/values.tfvars:1: error [tfvars-type]"},
		"missing backend":     {good, map[string]string{"environments/dev/backend.hcl": ""}, nil, "no backend.hcl"},
		"broken key scheme": {good, map[string]string{"stacks/core/app/rs.tf": "data \"terraform_remote_state\" \"x\" {\n  backend = \"s3\"\n  config  = merge(var.remote_state, { key = \"prod/core/net/terraform.tfstate\" })\n}\n"},
			nil, `hard-codes environment "prod"`},
		"both selections": {good, nil, func(o *Options) { o.Stacks = []string{"core/net"}; o.ChangedSince = "HEAD" }, "use one of them"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			root := fixtureRepo(t, tc.reads, tc.extra)
			if name == "missing backend" {
				_ = os.Remove(filepath.Join(root, "environments", "dev", "backend.hcl"))
			}
			fake := newFake()
			opts := Options{Root: root, Environment: "dev", Executor: fake}
			if tc.opts != nil {
				tc.opts(&opts)
			}
			_, err := New(context.Background(), opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want error containing %q, got %v", tc.want, err)
			}
			if len(fake.calls) > 0 {
				t.Fatalf("terraform ran on bad input: %v", fake.calls)
			}
		})
	}
}

func TestStackSelectionAcceptsPathsAndKeepsOrder(t *testing.T) {
	r, _ := newRunner(t, fixtureRepo(t, diamondChain, nil), newFake(), func(o *Options) {
		o.Stacks = []string{"stacks/app/two", "core/net"}
	})
	if got := strings.Join(r.Selected(), ","); got != "core/net,app/two" {
		t.Fatalf("selected %s", got)
	}
}

func TestDriftTellsOutsideChangesFromUnappliedCode(t *testing.T) {
	fake := newFake()
	fake.drifted["core/out"] = true
	fake.inSync["core/out"] = true
	fake.inSync["core/same"] = true
	r, _ := newRunner(t, fixtureRepo(t, map[string][]string{"core/out": nil, "core/code": nil, "core/same": nil}, nil), fake, nil)
	sum := r.Drift(context.Background())
	if got := sum.Drifted(); len(got) != 1 || got[0] != "core/out" {
		t.Fatalf("drifted %v", got)
	}
	if got := sum.Unapplied(); len(got) != 1 || got[0] != "core/code" {
		t.Fatalf("unapplied %v", got)
	}
	out, _ := sum.Result("core/out")
	if out.Outcome != "drifted" || len(out.DriftChanges) != 1 || !strings.Contains(out.DriftChanges[0], "aws_s3_bucket.logs") {
		t.Fatalf("outside change: %+v", out)
	}
	if same, _ := sum.Result("core/same"); same.Outcome != "in sync" {
		t.Fatalf("in sync: %+v", same)
	}
	md := sum.Markdown()
	if !strings.Contains(md, "changed outside Terraform: aws_s3_bucket.logs") || !strings.Contains(md, "code not applied: terraform_data.this") {
		t.Fatalf("markdown must tell both apart:\n%s", md)
	}
	for _, c := range fake.calls {
		if c.Args[0] == "plan" && !strings.Contains(strings.Join(c.Args, " "), "-lock=false") {
			t.Fatalf("drift must not take the state lock: %v", c.Args)
		}
	}
}

func TestForceUnlockInitsAndUnlocks(t *testing.T) {
	fake := newFake()
	r, out := newRunner(t, fixtureRepo(t, map[string][]string{"core/net": nil}, nil), fake, nil)
	if err := r.ForceUnlock(context.Background(), "core/net", "1234-abcd"); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(fake.commands("core/net"), ","); got != "init,force-unlock" || !strings.Contains(out.String(), "unlocked core/net") {
		t.Fatalf("commands %s, output %s", got, out)
	}
}

func TestOutputsHideSensitiveValues(t *testing.T) {
	fake := newFake()
	fake.currentOutputs = `{"id":{"sensitive":false,"type":"string","value":"one"},"token":{"sensitive":true,"type":"string","value":"s3cr3t"}}`
	r, out := newRunner(t, fixtureRepo(t, map[string][]string{"core/net": nil}, nil), fake, nil)
	sum := r.Outputs(context.Background())
	res, _ := sum.Result("core/net")
	if string(res.Outputs["id"]) != `"one"` || string(res.Outputs["token"]) != `"(sensitive)"` {
		t.Fatalf("outputs %v", res.Outputs)
	}
	raw, _ := sum.JSON()
	if strings.Contains(out.String(), "s3cr3t") || strings.Contains(string(raw), "s3cr3t") {
		t.Fatal("a sensitive value leaked")
	}
}

func TestInterruptStartsNothingNew(t *testing.T) {
	fake := newFake()
	r, _ := newRunner(t, fixtureRepo(t, diamondChain, nil), fake, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	sum := r.Apply(ctx)
	if len(fake.calls) != 0 {
		t.Fatalf("terraform ran after the interrupt: %d calls", len(fake.calls))
	}
	for _, res := range sum.Stacks {
		if res.Status != StatusSkipped || res.Outcome != "not started" {
			t.Fatalf("%s: %+v", res.Stack, res)
		}
	}
}

func TestChangedSinceSelectsChangedStacksAndDependents(t *testing.T) {
	root := fixtureRepo(t, diamondChain, nil)
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", root, "-c", "user.email=t@example.invalid", "-c", "user.name=t"}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	git("init", "-q")
	git("add", ".")
	git("commit", "-q", "-m", "base")
	p := filepath.Join(root, "stacks", "core", "right", "main.tf")
	b, _ := os.ReadFile(p)
	if err := os.WriteFile(p, append(b, []byte("# change\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	r, _ := newRunner(t, root, newFake(), func(o *Options) { o.ChangedSince = "HEAD" })
	if got := strings.Join(r.Selected(), ","); got != "core/right,core/join,app/one,app/two" {
		t.Fatalf("selected %s", got)
	}
	sum := r.Plan(context.Background())
	if res, _ := sum.Result("app/one"); res.Selected != "reads core/join" {
		t.Fatalf("selection reason %q", res.Selected)
	}
}

func TestInitKeepsACommittedLockFile(t *testing.T) {
	fake := newFake()
	root := fixtureRepo(t, map[string][]string{"core/net": nil, "core/app": nil}, map[string]string{
		"stacks/core/net/.terraform.lock.hcl": "provider \"hashicorp/aws\" {\n  version = \"5.100.0\"\n}\n",
	})
	r, _ := newRunner(t, root, fake, nil)
	r.Plan(context.Background())
	for _, c := range fake.calls {
		if c.Args[0] != "init" {
			continue
		}
		readonly := strings.Contains(strings.Join(c.Args, " "), "-lockfile=readonly")
		if readonly != (c.Stack == "core/net") {
			t.Errorf("init of %s: %v", c.Stack, c.Args)
		}
	}
}

func TestAccountGuardRefusesBeforeAnyTerraformCommand(t *testing.T) {
	for name, act := range map[string]func(*Runner) *Summary{
		"plan":   func(r *Runner) *Summary { return r.Plan(context.Background()) },
		"apply":  func(r *Runner) *Summary { return r.Apply(context.Background()) },
		"drift":  func(r *Runner) *Summary { return r.Drift(context.Background()) },
		"output": func(r *Runner) *Summary { return r.Outputs(context.Background()) },
	} {
		t.Run(name, func(t *testing.T) {
			fake := newFake()
			r, _ := newRunner(t, fixtureRepo(t, map[string][]string{"core/net": nil}, nil), fake, func(o *Options) {
				o.AccountGuard = func(context.Context) error {
					return errors.New("credentials are for account 111111111111, environment dev is 123456789012")
				}
			})
			// The refusal is the summary's error, not hidden behind another (plan: "no plan bundle written").
			sum := act(r)
			if sum.OK() || !strings.Contains(sum.Error, "refused before any terraform command") || !strings.Contains(sum.Error, "111111111111") || len(fake.calls) != 0 {
				t.Fatalf("summary %+v, %d terraform calls", sum, len(fake.calls))
			}
		})
	}
}

// TestInitRunsInTheSameExecutorRunAsTheFirstCommand: a provider-free stack's init is chained before its
// first command (one container exec instead of two with the Dagger executor): a plan is one executor
// run per stack (init+plan+show), a fresh apply too (init+plan+show+apply of that plan file), a bundled
// apply init+apply. A stack that installs providers keeps its init in a run of its own.
func TestInitRunsInTheSameExecutorRunAsTheFirstCommand(t *testing.T) {
	reads := map[string][]string{"core/net": nil, "core/app": {"core/net"}, "core/aws": {"core/net"}}
	extra := map[string]string{"stacks/core/aws/provider.tf": "provider \"aws\" {}\n"}
	fake := newFake()
	root := fixtureRepo(t, reads, extra)
	dir, sum := planBundle(t, root, fake, nil)
	if !sum.OK() {
		t.Fatal(sum.Markdown())
	}
	want := map[string]string{"core/net": "init+plan+show", "core/app": "init+plan+show", "core/aws": "init | plan+show"}
	for id, w := range want {
		if got := strings.Join(fake.execs[id], " | "); got != w {
			t.Errorf("plan of %s: executor runs %q, want %q", id, got, w)
		}
	}
	fake.execs = map[string][]string{}
	if sum := applyBundle(t, root, dir, fake, nil); !sum.OK() {
		t.Fatal(sum.Markdown())
	}
	for id, w := range map[string]string{"core/app": "init+apply", "core/aws": "init | apply"} {
		if got := strings.Join(fake.execs[id], " | "); got != w {
			t.Errorf("bundled apply of %s: executor runs %q, want %q", id, got, w)
		}
	}

	fresh := newFake()
	fresh.unchanged["core/app"] = true
	r, _ := newRunner(t, fixtureRepo(t, reads, extra), fresh, nil)
	sum = r.Apply(context.Background())
	if !sum.OK() {
		t.Fatal(sum.Markdown())
	}
	if app, _ := sum.Result("core/app"); app.Outcome != "no changes" {
		t.Errorf("a plan without changes must not be applied: %+v", app)
	}
	if _, applied := fresh.applied["core/app"]; applied || fresh.applied["core/net"] == nil {
		t.Errorf("applied %v", fresh.applied)
	}
	want = map[string]string{"core/net": "init+plan+show+apply", "core/app": "init+plan", "core/aws": "init | plan+show+apply"}
	for id, w := range want {
		if got := strings.Join(fresh.execs[id], " | "); got != w {
			t.Errorf("apply of %s: executor runs %q, want %q", id, got, w)
		}
	}
}

// TestAFailedChainedInitStopsTheStack: when the init chained before the first command fails, that
// command does not run, the stack fails naming the init and terraform's error, and its dependents are
// skipped.
func TestAFailedChainedInitStopsTheStack(t *testing.T) {
	fake := newFake()
	fake.failInit["core/net"] = true
	r, _ := newRunner(t, fixtureRepo(t, map[string][]string{"core/net": nil, "core/app": {"core/net"}}, nil), fake, nil)
	sum := r.Apply(context.Background())
	net, _ := sum.Result("core/net")
	if net.Status != StatusFailed || !strings.Contains(net.Error, "init core/net") || !strings.Contains(net.Error, "does not exist") {
		t.Fatalf("core/net: %+v", net)
	}
	if got := strings.Join(fake.commands("core/net"), ","); got != "init" {
		t.Fatalf("after a failed init only the init ran, got %s", got)
	}
	if app, _ := sum.Result("core/app"); app.Status != StatusSkipped {
		t.Fatalf("core/app: %+v", app)
	}
}
