package stackrun

import (
	"context"
	"encoding/json"
	"errors"
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

func TestPlanSavesPlansAndApplyConsumesThem(t *testing.T) {
	fake := newFake()
	root := fixtureRepo(t, map[string][]string{"core/net": nil, "core/app": {"core/net"}}, nil)
	r, _ := newRunner(t, root, fake, nil)
	if sum := r.Plan(context.Background()); !sum.OK() {
		t.Fatal(sum.Markdown())
	}
	dir := filepath.Join(root, DeliveryDir, "plans", "dev", "core", "app")
	for _, f := range []string{SavedPlanBinary, SavedPlanJSON, SavedPlanMeta} {
		st, err := os.Stat(filepath.Join(dir, f))
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Fatalf("saved %s: %v %v", f, st, err)
		}
	}
	var meta SavedPlan
	raw, _ := os.ReadFile(filepath.Join(dir, SavedPlanMeta))
	if err := json.Unmarshal(raw, &meta); err != nil || meta.Add != 1 || meta.Fingerprint.Upstreams["core/net"] == "" || len(meta.Fingerprint.Files) != 1 {
		t.Fatalf("meta %+v (%v)", meta, err)
	}
	r2, _ := newRunner(t, root, fake, nil)
	if sum := r2.Apply(context.Background()); !sum.OK() {
		t.Fatal(sum.Markdown())
	}
	if got := strings.Join(fake.commands("core/app"), ","); got != "init,plan,show,init,apply" {
		t.Fatalf("apply of a saved plan must not plan again, got %s", got)
	}
	if got := strings.Join(fake.commands("core/net"), ","); !strings.Contains(got, "output") {
		t.Fatalf("apply of a saved plan must read the upstream's current outputs, got %s", got)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("an applied plan must be removed, stat: %v", err)
	}
}

func TestApplyRefusesAStalePlan(t *testing.T) {
	cases := map[string]func(root string, fake *fakeTerraform){
		"stack file changed": func(root string, _ *fakeTerraform) {
			p := filepath.Join(root, "stacks", "core", "app", "main.tf")
			b, _ := os.ReadFile(p)
			_ = os.WriteFile(p, append(b, []byte("# edited\n")...), 0o644)
		},
		"tfvars changed": func(root string, _ *fakeTerraform) {
			_ = os.WriteFile(filepath.Join(root, "environments", "dev", "values.tfvars"), []byte("size = 3\n"), 0o644)
		},
		"upstream outputs changed": func(_ string, fake *fakeTerraform) {
			fake.currentOutputs = `{"id":{"sensitive":false,"type":"string","value":"two"}}`
		},
	}
	for name, change := range cases {
		t.Run(name, func(t *testing.T) {
			fake := newFake()
			root := fixtureRepo(t, map[string][]string{"core/net": nil, "core/app": {"core/net"}}, nil)
			r, _ := newRunner(t, root, fake, func(o *Options) { o.Stacks = []string{"core/app"} })
			r.Plan(context.Background())
			change(root, fake)
			r2, _ := newRunner(t, root, fake, func(o *Options) { o.Stacks = []string{"core/app"} })
			sum := r2.Apply(context.Background())
			res, _ := sum.Result("core/app")
			var stale *StalePlanError
			if !errors.As(res.Err(), &stale) || res.Outcome != "stale plan" {
				t.Fatalf("want stale plan, got %+v", res)
			}
			for _, c := range fake.commands("core/app") {
				if c == "apply" {
					t.Fatal("a stale plan was applied")
				}
			}
		})
	}
}

func TestHeldLockIsANamedFailure(t *testing.T) {
	fake := newFake()
	fake.lockedStack = "core/net"
	r, _ := newRunner(t, fixtureRepo(t, map[string][]string{"core/net": nil, "core/app": {"core/net"}}, nil), fake, nil)
	sum := r.Plan(context.Background())
	res, _ := sum.Result("core/net")
	var lock *LockHeldError
	if !errors.As(res.Err(), &lock) || lock.ID != "1234-abcd" || lock.Who != "alice@laptop" || res.Outcome != "state locked" {
		t.Fatalf("got %+v", res)
	}
	if !strings.Contains(res.Error, "force-unlock 1234-abcd") || !strings.Contains(res.Error, "dev/core/net/terraform.tfstate") {
		t.Fatalf("message should say what to do: %s", res.Error)
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

func TestDriftFlagsStacksWithChanges(t *testing.T) {
	fake := newFake()
	r, _ := newRunner(t, fixtureRepo(t, map[string][]string{"core/net": nil}, nil), fake, nil)
	sum := r.Drift(context.Background())
	if got := sum.Drifted(); len(got) != 1 || got[0] != "core/net" {
		t.Fatalf("drifted %v", got)
	}
	for _, c := range fake.calls {
		if c.Args[0] == "plan" && !strings.Contains(strings.Join(c.Args, " "), "-lock=false") {
			t.Fatalf("drift must not take the state lock: %v", c.Args)
		}
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
