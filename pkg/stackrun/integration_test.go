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

func TestIntegrationStalePlanIsRefused(t *testing.T) {
	ctx := context.Background()
	root, _ := itFixture(t, "diamond")
	r, out := itRunner(t, root, nil)
	mustSucceed(t, r.Apply(ctx), out)

	// Plan everything against seed n3: core/left's saved plan reads core/net's current (n1) outputs.
	if err := os.WriteFile(filepath.Join(root, "environments", "it", "values.tfvars"), []byte("seed = \"n3\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r, out = itRunner(t, root, func(o *Options) { o.Stacks = []string{"core/net", "core/left"} })
	mustSucceed(t, r.Plan(ctx), out)
	// Apply only core/net: its outputs change, so core/left's saved plan is now stale.
	r, out = itRunner(t, root, func(o *Options) { o.Stacks = []string{"core/net"} })
	mustSucceed(t, r.Apply(ctx), out)

	r, _ = itRunner(t, root, func(o *Options) { o.Stacks = []string{"core/left"} })
	sum := r.Apply(ctx)
	res, _ := sum.Result("core/left")
	var stale *StalePlanError
	if !errors.As(res.Err(), &stale) || !strings.Contains(res.Error, "outputs of upstream core/net changed") {
		t.Fatalf("want a stale plan naming core/net, got %+v", res)
	}
	if _, err := os.Stat(filepath.Join(root, DeliveryDir, "plans", "it", "core", "left", SavedPlanMeta)); err != nil {
		t.Fatalf("a refused plan must be kept for inspection: %v", err)
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
	r, out = itRunner(t, root, func(o *Options) { o.Stacks = []string{"core/net", "core/left", "misc/lone"} })
	sum := r.Apply(ctx)
	res, _ := sum.Result("core/net")
	var lock *LockHeldError
	if !errors.As(res.Err(), &lock) || lock.ID != "0b8e5a3c-hold" || lock.Who != "bob@ci-runner" {
		t.Fatalf("want LockHeldError with the holder, got %+v\n%s", res, out)
	}
	if branch, _ := sum.Result("core/left"); branch.Status != StatusSkipped || branch.SkippedBecause != "core/net" {
		t.Fatalf("dependent of the locked stack: %+v", branch)
	}
	if lone, _ := sum.Result("misc/lone"); lone.Status != StatusSucceeded {
		t.Fatalf("an independent stack must finish: %+v", lone)
	}
	if err := moto.Delete(ctx, bucket, lockKey); err != nil {
		t.Fatal(err)
	}
	r, out = itRunner(t, root, func(o *Options) { o.Stacks = []string{"core/net"} })
	mustSucceed(t, r.Plan(ctx), out)
}

func TestIntegrationDriftAfterStateChangedBehindTheEngine(t *testing.T) {
	ctx := context.Background()
	root, bucket := itFixture(t, "diamond")
	r, out := itRunner(t, root, nil)
	mustSucceed(t, r.Apply(ctx), out)
	r, out = itRunner(t, root, nil)
	clean := r.Drift(ctx)
	mustSucceed(t, clean, out)
	if d := clean.Drifted(); len(d) != 0 {
		t.Fatalf("fresh apply reported drift in %v", d)
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
	if d := sum.Drifted(); len(d) != 1 || d[0] != "core/right" {
		t.Fatalf("drifted %v, want [core/right]\n%s", d, out)
	}
	if res, _ := sum.Result("core/right"); strings.Join(res.Changes, ",") != "terraform_data.this: update" {
		t.Fatalf("core/right changes %v", res.Changes)
	}
	if !strings.Contains(sum.Markdown(), "| `core/right` | drift | ⚠️ drifted | 0 | 1 | 0 |") || !strings.Contains(sum.Markdown(), "terraform_data.this: update |") {
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
