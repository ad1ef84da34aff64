//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/platformteam/delivery/internal/sandbox/sandboxtest"
	"github.com/platformteam/delivery/pkg/environment"
	"github.com/platformteam/delivery/pkg/ghactions"
	"github.com/platformteam/delivery/pkg/release/api"
)

// `deploy --infra` and `drift` through Dagger, called as the workflows call them (`--format json -o
// report.json`, then `go run ./cmd/gha publish report.json`), checked from outside: the states in the
// sandbox's S3, the ECS service, the Helm release.

// stateVersion is what a stack's state object in S3 says about its last write.
type stateVersion struct {
	Serial   int64
	Lineage  string
	Modified time.Time // S3's Last-Modified (whole seconds)
}

// stateVersions reads the state objects of the local environment's stacks (a stack never applied on
// this sandbox has none).
func stateVersions(t *testing.T, sb *sandboxtest.Sandbox, bucket string, ids []string) map[string]stateVersion {
	t.Helper()
	api := s3.NewFromConfig(sb.AWSConfig(), func(o *s3.Options) { o.UsePathStyle = true })
	out := map[string]stateVersion{}
	for _, id := range ids {
		key := "local/" + id + "/terraform.tfstate"
		raw, ok := s3Object(t, sb, bucket, key)
		if !ok {
			continue // never applied on this sandbox
		}
		head, err := api.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		if err != nil {
			t.Fatalf("state of %s (s3://%s/%s): %v", id, bucket, key, err)
		}
		var st struct {
			Serial  int64  `json:"serial"`
			Lineage string `json:"lineage"`
		}
		if err := json.Unmarshal(raw, &st); err != nil {
			t.Fatalf("state of %s: %v", id, err)
		}
		out[id] = stateVersion{Serial: st.Serial, Lineage: st.Lineage, Modified: aws.ToTime(head.LastModified)}
	}
	return out
}

// localStacks are the local environment's stack ids, in dependency order.
func localStacks(t *testing.T, dir string) []string {
	t.Helper()
	ids := graphOf(t, dir, "local").Order()
	if len(ids) == 0 {
		t.Fatal("sandbox/blueprint has no stacks")
	}
	return ids
}

// daggerReport runs a dagger call that writes its ghactions report with -o and reads that report.
// The call itself must succeed: with --format json the outcome is the report's exit code.
func daggerReport(t *testing.T, sb *sandboxtest.Sandbox, dir, name string, args ...string) ghactions.Report {
	t.Helper()
	path := filepath.Join(t.TempDir(), name+".json")
	out, err := daggerLocal(t, sb, dir, append(args, "--format", "json", "-o", path)...)
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, tail(out, 60))
	}
	rep, err := ghactions.ReadReport(path)
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, tail(out, 40))
	}
	return rep
}

// ghaPublish is the workflow's next step, `gha publish report.json`, outside GitHub Actions (so a CI run
// of this test never writes its own job's summary): its exit code and output. The command is built and
// run, not `go run`: go run exits 1 whatever non-zero code its program exits with.
func ghaPublish(t *testing.T, rep ghactions.Report) (int, string) {
	t.Helper()
	raw, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "report.json")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "gha")
	build := exec.Command("go", "build", "-o", bin, "./cmd/gha")
	build.Dir = repoRoot(t)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build cmd/gha: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "publish", path)
	cmd.Env = append(os.Environ(), "GITHUB_ACTIONS=")
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, string(out)
	case errors.As(err, &ee):
		return ee.ExitCode(), string(out)
	}
	t.Fatalf("gha publish: %v\n%s", err, out)
	return 0, ""
}

// stepRows are the steps table rows of a deploy report's markdown, in order ("| name | status |").
func stepRows(md string) []string {
	var rows []string
	in := false
	for _, l := range strings.Split(md, "\n") {
		switch {
		case strings.HasPrefix(l, "| step | status |"):
			in = true
		case in && strings.HasPrefix(l, "|---"):
		case in && strings.HasPrefix(l, "| "):
			cells := strings.Split(l, " | ")
			if len(cells) >= 2 {
				rows = append(rows, strings.TrimPrefix(cells[0], "| ")+" | "+cells[1])
			}
		default:
			in = false
		}
	}
	return rows
}

// deployedHelm is the deployed revision of the Helm release, with its time (release eks history); the
// zero revision before the first install.
func deployedHelm(t *testing.T, sb *sandboxtest.Sandbox) api.EKSRevision {
	t.Helper()
	out, stderr, err := releaseCLIErr(t, sb, "eks", "history")
	if err != nil {
		if strings.Contains(stderr, "not found") {
			return api.EKSRevision{}
		}
		t.Fatalf("release eks history: %v\n%s", err, stderr)
	}
	var revs []api.EKSRevision
	if err := json.Unmarshal(out, &revs); err != nil {
		t.Fatalf("eks history: %v", err)
	}
	for _, r := range revs {
		if r.Status == "deployed" {
			return r
		}
	}
	return api.EKSRevision{}
}

// TestInfraDeployAppliesBeforeTheApp: `dagger call deploy --infra --format json` on the local
// environment, from a copy whose Owner tag (every stack changes) and commit (a new image) are its own.
// The first run applies every stack, then builds, publishes and deploys the new digest: every state
// was written before the Helm release's new revision, and the report's steps run infra first. The
// second run changes nothing: no state written, same task definition, same Helm revision.
func TestInfraDeployAppliesBeforeTheApp(t *testing.T) {
	sb := sandboxtest.Env(t)
	requireDagger(t, sb)
	bucket := stateBucket(t, repoRoot(t))
	owner := "e2e-deploy-" + time.Now().Format("150405")
	dir := withOwner(t, owner, nil)
	ids := localStacks(t, dir)
	env, err := environment.Load(dir, "local")
	if err != nil {
		t.Fatal(err)
	}
	before := stateVersions(t, sb, bucket, ids)
	tdBefore, _ := ecsImage(t, sb, env)
	helmBefore := deployedHelm(t, sb)

	rep := daggerReport(t, sb, dir, "deploy-1", "deploy", "--infra")
	if rep.ExitCode != 0 || rep.Outputs["changed"] != "true" || rep.Outputs["digest"] == "" {
		t.Fatalf("first deploy --infra: exit %d, outputs %v\n%s", rep.ExitCode, rep.Outputs, rep.Markdown)
	}
	steps := stepRows(rep.Markdown)
	if len(steps) < 2 || steps[0] != "infra | ok" || !strings.HasPrefix(steps[1], "publish | ") {
		t.Fatalf("the steps must run infra (changed) first, then publish: %q\n%s", steps, rep.Markdown)
	}
	if !strings.Contains(rep.Markdown, "| "+strconv.Itoa(len(ids))+" of "+strconv.Itoa(len(ids))+" stacks changed |") {
		t.Fatalf("the infra step must change all %d stacks (the Owner tag moved):\n%s", len(ids), rep.Markdown)
	}
	applied := stateVersions(t, sb, bucket, ids)
	var newest time.Time
	for _, id := range ids {
		b, had := before[id]
		a, ok := applied[id]
		if !ok || (had && a.Lineage != b.Lineage) || a.Serial <= b.Serial {
			t.Errorf("%s: state serial %d → %d (lineage %s → %s): the apply did not write it", id, b.Serial, a.Serial, b.Lineage, a.Lineage)
		}
		if got := stateOwner(t, sb, bucket, id); got != owner {
			t.Errorf("%s: state has owner %q, the code %q", id, got, owner)
		}
		if a.Modified.After(newest) {
			newest = a.Modified
		}
	}
	td, img := ecsImage(t, sb, env)
	if td == tdBefore || !strings.HasSuffix(img, "@"+rep.Outputs["digest"]) {
		t.Fatalf("ECS: %s → %s running %s; want a new revision running %s", tdBefore, td, img, rep.Outputs["digest"])
	}
	helm := deployedHelm(t, sb)
	if helm.Revision <= helmBefore.Revision || !strings.HasSuffix(helm.Image, "@"+rep.Outputs["digest"]) {
		t.Fatalf("Helm: revision %d → %+v; want a newer revision with %s", helmBefore.Revision, helm, rep.Outputs["digest"])
	}
	// Order, from outside: the last state write came before the app's new Helm revision (S3 gives whole
	// seconds, so both are compared at that grain).
	if helm.Updated.Truncate(time.Second).Before(newest) {
		t.Fatalf("Helm revision %d at %s precedes the last state write at %s: the app deployed before the infra",
			helm.Revision, helm.Updated.UTC().Format(time.RFC3339Nano), newest.UTC().Format(time.RFC3339))
	}
	t.Logf("last state write %s, Helm revision %d at %s", newest.UTC().Format(time.RFC3339), helm.Revision, helm.Updated.UTC().Format(time.RFC3339))

	// The same deploy again: nothing changes anywhere.
	rep2 := daggerReport(t, sb, dir, "deploy-2", "deploy", "--infra")
	steps2 := stepRows(rep2.Markdown)
	if rep2.ExitCode != 0 || rep2.Outputs["changed"] != "false" || rep2.Outputs["digest"] != rep.Outputs["digest"] ||
		len(steps2) < 2 || steps2[0] != "infra | no change" || !strings.Contains(rep2.Markdown, "| 0 of "+strconv.Itoa(len(ids))+" stacks changed |") ||
		!strings.Contains(rep2.Markdown, "commit published before: not rebuilt") {
		t.Fatalf("a second deploy --infra must change nothing (exit %d, outputs %v, steps %q):\n%s", rep2.ExitCode, rep2.Outputs, steps2, rep2.Markdown)
	}
	for id, v := range stateVersions(t, sb, bucket, ids) {
		if v.Serial != applied[id].Serial || v.Lineage != applied[id].Lineage {
			t.Errorf("%s: the no-change run wrote its state (serial %d → %d)", id, applied[id].Serial, v.Serial)
		}
	}
	if td2, _ := ecsImage(t, sb, env); td2 != td {
		t.Errorf("ECS revision changed on a no-change run: %s → %s", td, td2)
	}
	if h := deployedHelm(t, sb); h.Revision != helm.Revision {
		t.Errorf("Helm revision changed on a no-change run: %d → %d", helm.Revision, h.Revision)
	}
}

// driftStack is the stand-in whose state the drift test edits out of band: a leaf, so only it differs.
const driftStack = "shared/dns"

// TestInfraDriftThroughDagger: `dagger call drift --format json` as the nightly drift workflow runs it.
// After an apply nothing differs: exit code 0 and every stack in sync. Then shared/dns's state is
// edited in S3 behind Terraform's back (its Owner tag): drift names that stack, and only it, and the
// workflow's `gha publish` step exits 2. The stand-ins have no remote object to refresh, so the edit
// shows as state ≠ code ("code not applied"); the refresh-only half ("changed outside Terraform") is
// proven against a real provider by pkg/stackrun's TestIntegrationDriftTellsOutsideChangesFromUnappliedCode.
func TestInfraDriftThroughDagger(t *testing.T) {
	sb := sandboxtest.Env(t)
	requireDagger(t, sb)
	bucket := stateBucket(t, repoRoot(t))
	owner := "e2e-drift-" + time.Now().Format("150405")
	dir := withOwner(t, owner, nil)
	ids := localStacks(t, dir)
	if out, err := daggerLocal(t, sb, dir, "apply"); err != nil {
		t.Fatalf("apply: %v\n%s", err, tail(out, 40))
	}

	rep := daggerReport(t, sb, dir, "drift-clean", "drift")
	if rep.ExitCode != 0 || rep.Outputs["drifted_stacks"] != "" || rep.Outputs["unapplied_stacks"] != "" ||
		!strings.Contains(rep.Markdown, "0 drifted (changed outside Terraform), 0 with code not applied") ||
		strings.Count(rep.Markdown, "✅ in sync") != len(ids) {
		t.Fatalf("drift right after apply must find nothing in %d stacks (exit %d, outputs %v):\n%s", len(ids), rep.ExitCode, rep.Outputs, rep.Markdown)
	}
	if code, out := ghaPublish(t, rep); code != 0 {
		t.Fatalf("gha publish of a clean drift report exited %d, want 0:\n%s", code, out)
	}

	editStateOwner(t, sb, bucket, driftStack, "edited-out-of-band")
	rep = daggerReport(t, sb, dir, "drift-edited", "drift")
	if rep.ExitCode != 2 || rep.Outputs["unapplied_stacks"] != driftStack || rep.Outputs["drifted_stacks"] != "" ||
		!strings.Contains(rep.Markdown, "| `"+driftStack+"` | drift | ⚠️ unapplied code |") ||
		!strings.Contains(rep.Markdown, "code not applied: terraform_data.this: update") ||
		strings.Count(rep.Markdown, "✅ in sync") != len(ids)-1 {
		t.Fatalf("drift after an out-of-band state edit must name %s alone with exit code 2 (exit %d, outputs %v):\n%s", driftStack, rep.ExitCode, rep.Outputs, rep.Markdown)
	}
	code, out := ghaPublish(t, rep)
	if code != 2 || !strings.Contains(out, driftStack) {
		t.Fatalf("gha publish of the drift report exited %d, want 2 (the drift workflow's signal), naming %s:\n%s", code, driftStack, out)
	}
}

// editStateOwner changes the Owner tag in a stand-in's state in S3, outside Terraform (a new serial, the
// same lineage, as a hand edit pushed with `terraform state push` would), and restores the original
// object when the test ends.
func editStateOwner(t *testing.T, sb *sandboxtest.Sandbox, bucket, stack, owner string) {
	t.Helper()
	key := "local/" + stack + "/terraform.tfstate"
	raw, ok := s3Object(t, sb, bucket, key)
	if !ok {
		t.Fatalf("no state for %s", stack)
	}
	var st map[string]any
	if err := json.Unmarshal(raw, &st); err != nil {
		t.Fatal(err)
	}
	edited := false
	resources, _ := st["resources"].([]any)
	for _, r := range resources {
		res, _ := r.(map[string]any)
		if res["type"] != "terraform_data" || res["name"] != "this" {
			continue
		}
		for _, i := range res["instances"].([]any) {
			attrs, _ := i.(map[string]any)["attributes"].(map[string]any)
			input, _ := attrs["input"].(map[string]any)
			value, _ := input["value"].(map[string]any)
			tags, _ := value["tags"].(map[string]any)
			if tags == nil {
				t.Fatalf("%s's terraform_data.this has no input tags", stack)
			}
			tags["Owner"] = owner
			edited = true
		}
	}
	if !edited {
		t.Fatalf("%s's state has no terraform_data.this", stack)
	}
	st["serial"] = st["serial"].(float64) + 1
	body, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	put := func(b []byte) error {
		api := s3.NewFromConfig(sb.AWSConfig(), func(o *s3.Options) { o.UsePathStyle = true })
		_, err := api.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(b)})
		return err
	}
	if err := put(body); err != nil {
		t.Fatalf("edit the state of %s: %v", stack, err)
	}
	t.Cleanup(func() {
		if err := put(raw); err != nil {
			t.Errorf("restore the state of %s: %v", stack, err)
		}
	})
}
