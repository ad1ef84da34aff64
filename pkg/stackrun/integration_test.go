//go:build integration

package stackrun

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const wantTwoPath = `"(n1/left+n1/lbl:right)/one/two"`

func TestIntegrationApplyInOrderOutputsFlowThroughRemoteState(t *testing.T) {
	ctx := context.Background()
	root, _ := itFixture(t, "diamond")
	r, out := itRunner(t, root, nil)
	sum := r.Apply(ctx)
	mustSucceed(t, sum, out)
	for _, res := range sum.Stacks {
		if res.Outcome != "applied" || res.Add != 1 {
			t.Errorf("%s: %+v", res.Stack, res)
		}
	}

	r, out = itRunner(t, root, func(o *Options) { o.Stacks = []string{"app/two"} })
	outs := r.Outputs(ctx)
	mustSucceed(t, outs, out)
	if res, _ := outs.Result("app/two"); string(res.Outputs["path"]) != wantTwoPath {
		t.Fatalf("app/two path = %s, want %s", res.Outputs["path"], wantTwoPath)
	}

	r, out = itRunner(t, root, nil)
	plan := r.Plan(ctx)
	mustSucceed(t, plan, out)
	for _, res := range plan.Stacks {
		if res.HasChanges() {
			t.Errorf("%s should have no changes after apply: %+v", res.Stack, res)
		}
	}
}

func TestIntegrationChangedTfvarsRippleInOrderWithFreshPlans(t *testing.T) {
	ctx := context.Background()
	root, _ := itFixture(t, "diamond")
	r, out := itRunner(t, root, nil)
	mustSucceed(t, r.Apply(ctx), out)

	if err := os.WriteFile(filepath.Join(root, "environments", "it", "values.tfvars"), []byte("seed = \"n2\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// No saved plans: apply plans each stack right before applying it, after its upstreams changed.
	r, out = itRunner(t, root, nil)
	sum := r.Apply(ctx)
	mustSucceed(t, sum, out)
	r, out = itRunner(t, root, func(o *Options) { o.Stacks = []string{"app/two"} })
	outs := r.Outputs(ctx)
	mustSucceed(t, outs, out)
	if res, _ := outs.Result("app/two"); string(res.Outputs["path"]) != strings.ReplaceAll(wantTwoPath, "n1", "n2") {
		t.Fatalf("app/two path = %s after the seed changed", res.Outputs["path"])
	}
}

func setSeed(t *testing.T, root, seed string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(root, "environments", "it", "values.tfvars"), []byte("seed = \""+seed+"\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestIntegrationBundleAppliesExactlyWhatItShowed: the bundle's plan is what gets applied; afterwards a
// plan finds nothing left to do and the outputs are those the reviewed plan.json announced. A dependent
// whose upstream changes outputs in the bundle is planned again after it, and the run says so.
func TestIntegrationBundleAppliesExactlyWhatItShowed(t *testing.T) {
	ctx := context.Background()
	root, _ := itFixture(t, "diamond")
	r, out := itRunner(t, root, nil)
	mustSucceed(t, r.Apply(ctx), out)
	setSeed(t, root, "n5")
	bundle := t.TempDir()
	r, out = itRunner(t, root, func(o *Options) {
		o.Stacks = []string{"core/net", "core/left"}
		o.PlanDir = bundle
		o.Commit = "it-commit"
	})
	mustSucceed(t, r.Plan(ctx), out)
	b, _, err := LoadBundle(bundle)
	if err != nil {
		t.Fatal(err)
	}
	net, _ := b.Stack("core/net")
	if net.Status != BundlePlanned || net.Change != 1 || net.State.Lineage == "" || net.State.Serial == 0 {
		t.Fatalf("core/net in the bundle: %+v", net)
	}
	// What the reviewed plan shows: the resource's new input (the stand-in's outputs are its input's fields).
	var shown struct {
		ResourceChanges []struct {
			Address string `json:"address"`
			Change  struct {
				Actions []string `json:"actions"`
				After   struct {
					Input map[string]any `json:"input"`
				} `json:"after"`
			} `json:"change"`
		} `json:"resource_changes"`
	}
	raw, _ := os.ReadFile(filepath.Join(bundle, filepath.FromSlash(net.PlanJSON)))
	if err := json.Unmarshal(raw, &shown); err != nil || len(shown.ResourceChanges) != 1 || shown.ResourceChanges[0].Change.After.Input["path"] == nil {
		t.Fatalf("plan.json of core/net: %v %+v", err, shown)
	}

	r, out = itRunner(t, root, func(o *Options) { o.Bundle = bundle; o.Commit = "it-commit" })
	sum := r.Apply(ctx)
	mustSucceed(t, sum, out)
	if res, _ := sum.Result("core/net"); res.Outcome != "applied" || !strings.Contains(out.String(), "applying the reviewed plan of bundle") {
		t.Fatalf("core/net: %+v\n%s", res, out)
	}
	if res, _ := sum.Result("core/left"); res.Outcome != "re-planned, applied" || !strings.Contains(res.Note, "upstream core/net changed") {
		t.Fatalf("core/left must be planned again after core/net changed its outputs: %+v", res)
	}
	r, out = itRunner(t, root, func(o *Options) { o.Stacks = []string{"core/net"} })
	outs := r.Outputs(ctx)
	mustSucceed(t, outs, out)
	res, _ := outs.Result("core/net")
	want, _ := json.Marshal(shown.ResourceChanges[0].Change.After.Input["path"])
	if string(res.Outputs["path"]) != string(want) {
		t.Errorf("core/net path = %s, the reviewed plan showed %s", res.Outputs["path"], want)
	}
	r, out = itRunner(t, root, func(o *Options) { o.Stacks = []string{"core/net", "core/left"} })
	again := r.Plan(ctx)
	mustSucceed(t, again, out)
	for _, res := range again.Stacks {
		if res.HasChanges() {
			t.Errorf("%s still has changes after the bundle was applied: %+v", res.Stack, res)
		}
	}
}

// TestIntegrationStalePlanIsRefused: the state moved between plan and apply (another apply), or an
// upstream's outputs changed outside the run: apply refuses, naming the stack and the reason.
func TestIntegrationStalePlanIsRefused(t *testing.T) {
	ctx := context.Background()
	root, _ := itFixture(t, "diamond")
	r, out := itRunner(t, root, nil)
	mustSucceed(t, r.Apply(ctx), out)
	setSeed(t, root, "n3")
	bundle := t.TempDir()
	r, out = itRunner(t, root, func(o *Options) { o.Stacks = []string{"core/net"}; o.PlanDir = bundle; o.Commit = "c1" })
	mustSucceed(t, r.Plan(ctx), out)
	// core/left gets a change of its own (its tags), so its bundle holds a plan that read core/net.
	tags := "tags = {\n  Project = \"delivery\"\n  App = \"fixture\"\n  Environment = \"it\"\n  Owner = \"platform-2\"\n  ManagedBy = \"terraform\"\n}\n"
	if err := os.WriteFile(filepath.Join(root, "environments", "it", "zz-owner.tfvars"), []byte(tags), 0o644); err != nil {
		t.Fatal(err)
	}
	leftBundle := t.TempDir()
	r, out = itRunner(t, root, func(o *Options) { o.Stacks = []string{"core/left"}; o.PlanDir = leftBundle; o.Commit = "c1" })
	mustSucceed(t, r.Plan(ctx), out)
	// Someone else applies core/net in between (a fresh plan of seed n4).
	setSeed(t, root, "n4")
	r, out = itRunner(t, root, func(o *Options) { o.Stacks = []string{"core/net"} })
	mustSucceed(t, r.Apply(ctx), out)
	setSeed(t, root, "n3")
	owner := filepath.Join(root, "environments", "it", "zz-owner.tfvars")
	if err := os.Rename(owner, owner+".off"); err != nil { // core/net's inputs as when it was planned
		t.Fatal(err)
	}

	r, out = itRunner(t, root, func(o *Options) { o.Bundle = bundle; o.Commit = "c1" })
	sum := r.Apply(ctx)
	res, _ := sum.Result("core/net")
	var stale *StalePlanError
	if !errors.As(res.Err(), &stale) || !strings.Contains(res.Error, "stale plan for core/net") || !strings.Contains(res.Error, "state changed") {
		t.Fatalf("want a stale plan for core/net (state moved), got %+v\n%s", res, out)
	}
	if err := os.Rename(owner+".off", owner); err != nil { // core/left's inputs as when it was planned
		t.Fatal(err)
	}
	r, out = itRunner(t, root, func(o *Options) { o.Bundle = leftBundle; o.Commit = "c1" })
	sum = r.Apply(ctx)
	res, _ = sum.Result("core/left")
	if !errors.As(res.Err(), &stale) || !strings.Contains(res.Error, "outputs of upstream core/net changed since the plan read them, outside this run") {
		t.Fatalf("want a stale plan naming core/net, got %+v\n%s", res, out)
	}
}

func TestIntegrationHeldLockIsACleanNamedFailure(t *testing.T) {
	ctx := context.Background()
	root, bucket := itFixture(t, "diamond")
	r, out := itRunner(t, root, func(o *Options) { o.Stacks = []string{"core/net", "misc/lone"} })
	mustSucceed(t, r.Apply(ctx), out)

	// Another process holds core/net's lock (the S3-native lock file terraform writes).
	lockKey := "it/core/net/terraform.tfstate.tflock"
	info := map[string]string{"ID": "0b8e5a3c-hold", "Operation": "OperationTypeApply", "Who": "bob@ci-runner", "Version": "1.11.4",
		"Created": time.Now().UTC().Format(time.RFC3339Nano), "Path": bucket + "/it/core/net/terraform.tfstate"}
	raw, _ := json.Marshal(info)
	if err := moto.Put(ctx, bucket, lockKey, raw); err != nil {
		t.Fatal(err)
	}
	setSeed(t, root, "n7") // a change, so the apply needs the lock (plans never take it)
	r, out = itRunner(t, root, func(o *Options) {
		o.Stacks = []string{"core/net", "core/left", "misc/lone"}
		o.LockTimeout = 2 * time.Second
	})
	sum := r.Apply(ctx)
	res, _ := sum.Result("core/net")
	var lock *LockHeldError
	if !errors.As(res.Err(), &lock) || lock.ID != "0b8e5a3c-hold" || lock.Who != "bob@ci-runner" || !strings.Contains(res.Error, "force-unlock --env it --stack core/net --lock-id 0b8e5a3c-hold") {
		t.Fatalf("want LockHeldError with the holder, got %+v\n%s", res, out)
	}
	if branch, _ := sum.Result("core/left"); branch.Status != StatusSkipped || branch.SkippedBecause != "core/net" {
		t.Fatalf("dependent of the locked stack: %+v", branch)
	}
	if lone, _ := sum.Result("misc/lone"); lone.Status != StatusSucceeded || lone.Error != "" {
		t.Fatalf("an independent stack must finish: %+v", lone)
	}
	// The documented recovery: force-unlock with the ID the message named, then apply again.
	r, out = itRunner(t, root, func(o *Options) { o.Stacks = []string{"core/net"} })
	if err := r.ForceUnlock(ctx, "core/net", lock.ID); err != nil {
		t.Fatalf("force-unlock: %v\n%s", err, out)
	}
	r, out = itRunner(t, root, func(o *Options) { o.Stacks = []string{"core/net", "core/left"} })
	mustSucceed(t, r.Apply(ctx), out)
}

func TestIntegrationDriftAfterStateChangedBehindTheEngine(t *testing.T) {
	ctx := context.Background()
	root, bucket := itFixture(t, "diamond")
	r, out := itRunner(t, root, nil)
	mustSucceed(t, r.Apply(ctx), out)
	r, out = itRunner(t, root, nil)
	clean := r.Drift(ctx)
	mustSucceed(t, clean, out)
	if d, u := clean.Drifted(), clean.Unapplied(); len(d)+len(u) != 0 {
		t.Fatalf("fresh apply reported drift in %v, unapplied code in %v", d, u)
	}

	// Someone edits core/right's state directly: the recorded input no longer matches the code.
	key := "it/core/right/terraform.tfstate"
	raw, err := moto.Get(ctx, bucket, key)
	if err != nil {
		t.Fatal(err)
	}
	// Only the resource's recorded input changes; the stack's outputs stay, so no dependent drifts.
	edited := editState(t, raw, func(doc map[string]any) {
		for _, r := range doc["resources"].([]any) {
			res := r.(map[string]any)
			if res["type"] != "terraform_data" {
				continue
			}
			attrs := res["instances"].([]any)[0].(map[string]any)["attributes"].(map[string]any)
			attrs["input"].(map[string]any)["value"].(map[string]any)["path"] = "n1/hand-edited"
			return
		}
		t.Fatal("no terraform_data resource in core/right's state")
	})
	if err := moto.Put(ctx, bucket, key, []byte(edited)); err != nil {
		t.Fatal(err)
	}

	r, out = itRunner(t, root, nil)
	sum := r.Drift(ctx)
	if !sum.OK() {
		t.Fatalf("drift run failed:\n%s\n%s", sum.Markdown(), out)
	}
	// terraform_data has no remote object to refresh, so a refresh-only plan sees nothing: the edited
	// state shows as the code no longer being what was applied (real drift needs a provider: see
	// docs/stack-engine.md).
	if d := sum.Drifted(); len(d) != 0 {
		t.Fatalf("drifted %v, want none\n%s", d, out)
	}
	if u := sum.Unapplied(); len(u) != 1 || u[0] != "core/right" {
		t.Fatalf("unapplied %v, want [core/right]\n%s", u, out)
	}
	if res, _ := sum.Result("core/right"); strings.Join(res.Changes, ",") != "terraform_data.this: update" {
		t.Fatalf("core/right changes %v", res.Changes)
	}
	if !strings.Contains(sum.Markdown(), "| `core/right` | drift | ⚠️ unapplied code | 0 | 1 | 0 |") || !strings.Contains(sum.Markdown(), "code not applied: terraform_data.this: update |") {
		t.Fatalf("markdown:\n%s", sum.Markdown())
	}
}

func TestIntegrationUpstreamNeverAppliedIsNamed(t *testing.T) {
	root, _ := itFixture(t, "diamond")
	r, out := itRunner(t, root, func(o *Options) { o.Stacks = []string{"app/one"} })
	sum := r.Plan(context.Background())
	res, _ := sum.Result("app/one")
	var missing *UpstreamMissingError
	if !errors.As(res.Err(), &missing) || missing.Read != "core_join" {
		t.Fatalf("want UpstreamMissingError for core_join, got %+v\n%s", res, out)
	}
}

// editState applies edit to a state document and bumps its serial, as a manual state push would.
func editState(t *testing.T, raw []byte, edit func(map[string]any)) string {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	edit(doc)
	doc["serial"] = doc["serial"].(float64) + 1
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func TestIntegrationFirstPlanOfAFreshEnvironmentIsPendingNotFailed(t *testing.T) {
	root, _ := itFixture(t, "diamond")
	r, out := itRunner(t, root, nil)
	sum := r.Plan(context.Background())
	if !sum.OK() {
		t.Fatalf("a first plan must not fail:\n%s\n%s", sum.Markdown(), out)
	}
	want := map[string]Status{"core/net": StatusSucceeded, "misc/lone": StatusSucceeded, "core/left": StatusPending,
		"core/right": StatusPending, "core/join": StatusPending, "app/one": StatusPending, "app/two": StatusPending}
	for stack, status := range want {
		if res, _ := sum.Result(stack); res.Status != status {
			t.Errorf("%s: %+v, want %s", stack, res, status)
		}
	}
	if branch, _ := sum.Result("core/left"); branch.SkippedBecause != "core/net" {
		t.Errorf("core/left waits for %q", branch.SkippedBecause)
	}
	if !strings.Contains(sum.Markdown(), "⏳ pending upstream apply") {
		t.Errorf("markdown:\n%s", sum.Markdown())
	}
}

// Drift of an environment applied in part (here: not at all) lists every stack as unapplied code,
// including those that read an upstream's missing state, instead of failing at the first of them and
// skipping the rest: `stacks drift` exits 2 with the whole list.
func TestIntegrationDriftOfAPartlyAppliedEnvironmentListsEveryStack(t *testing.T) {
	root, _ := itFixture(t, "diamond")
	r, out := itRunner(t, root, nil)
	sum := r.Drift(context.Background())
	if !sum.OK() {
		t.Fatalf("drift of an unapplied environment must not fail:\n%s\n%s", sum.Markdown(), out)
	}
	if got := strings.Join(sum.Unapplied(), ","); got != strings.Join(r.Selected(), ",") {
		t.Fatalf("unapplied %s, want every stack %v\n%s", got, r.Selected(), sum.Markdown())
	}
	if join, _ := sum.Result("core/join"); join.Status != StatusPending || !join.Unapplied || !strings.HasPrefix(join.Outcome, "unapplied code (core/") {
		t.Fatalf("core/join, below two pending stacks: %+v", join)
	}
	if branch, _ := sum.Result("core/left"); branch.Status != StatusPending || branch.SkippedBecause != "core/net" || branch.Outcome != "unapplied code (core/net not applied yet)" {
		t.Fatalf("core/left: %+v", branch)
	}
	if upstream, _ := sum.Result("core/net"); upstream.SkippedBecause != "" || upstream.Outcome != "unapplied code" {
		t.Fatalf("core/net has no upstream and was never applied: %+v", upstream)
	}
	if len(sum.Drifted()) != 0 {
		t.Fatalf("nothing exists, so nothing drifted: %v", sum.Drifted())
	}
	if md := sum.Markdown(); !strings.Contains(md, "plan after core/net is applied") {
		t.Fatalf("the summary must say what to apply first:\n%s", md)
	}
}

func TestIntegrationPlanNotesWhichUpstreamMakesItStale(t *testing.T) {
	ctx := context.Background()
	root, _ := itFixture(t, "diamond")
	r, out := itRunner(t, root, nil)
	mustSucceed(t, r.Apply(ctx), out)
	if err := os.WriteFile(filepath.Join(root, "environments", "it", "values.tfvars"), []byte("seed = \"n4\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r, out = itRunner(t, root, func(o *Options) { o.Stacks = []string{"core/net", "core/left"} })
	sum := r.Plan(ctx)
	mustSucceed(t, sum, out)
	if net, _ := sum.Result("core/net"); net.OutputChanges != 1 || net.Change != 1 {
		t.Fatalf("core/net: %+v", net)
	}
	if left, _ := sum.Result("core/left"); !strings.Contains(left.Note, "core/net") || left.HasChanges() {
		t.Fatalf("core/left should have no changes yet and a note naming core/net: %+v", left)
	}
}
