//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/zclconf/go-cty/cty"

	"github.com/platformteam/delivery/pkg/blueprint"
	"github.com/platformteam/delivery/pkg/sandbox/sandboxtest"
	"github.com/platformteam/delivery/pkg/stackrun"
)

// The infrastructure path through Dagger, as a user runs it: `dagger call lint|plan|apply|drift|
// force-unlock|deploy --infra --env local` (scripts/dagger-local.sh, which runs the call under `stacks
// guard`) against the sandbox's stand-in stacks, checked independently through the state in moto's S3.
// The tests work in copies of the repository whose tfvars differ (so there is something to plan), and
// the last one applies the repository as it is again, leaving the sandbox converged.

// stateBucket is the local environment's state bucket (from backend.hcl).
func stateBucket(t *testing.T, root string) string {
	t.Helper()
	ov, err := blueprint.LoadOverlay(root, "local")
	if err != nil {
		t.Fatal(err)
	}
	b, ok := ov.Backend["bucket"]
	if !ok || b.IsNull() || b.Type() != cty.String {
		t.Fatal("environments/local/backend.hcl has no bucket")
	}
	return b.AsString()
}

// withOwner is a copy of the repository whose local tags name another owner: every stack changes.
func withOwner(t *testing.T, owner string, extra map[string]string) string {
	return cloneRepo(t, repoRoot(t), func(dir string) {
		p := filepath.Join(dir, "environments", "local", "tags.tfvars")
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		edited := regexp.MustCompile(`Owner\s*=\s*"[^"]*"`).ReplaceAllString(string(raw), fmt.Sprintf(`Owner       = %q`, owner))
		if err := os.WriteFile(p, []byte(edited), 0o644); err != nil {
			t.Fatal(err)
		}
		for rel, body := range extra {
			if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(rel)), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// slowStack makes shared/s3's apply take a while (a provisioner sleeping), so a run can be killed or
// cancelled in the middle of it.
var slowStack = map[string]string{"sandbox/blueprint/stacks/shared/s3/slow.tf": `# e2e only: an apply that takes a while.
resource "terraform_data" "slow" {
  input = var.tags["Owner"]

  provisioner "local-exec" {
    command = "sleep 20"
  }
}
`}

const slowLockKey = "local/shared/s3/terraform.tfstate.tflock"

func s3Object(t *testing.T, sb *sandboxtest.Sandbox, bucket, key string) ([]byte, bool) {
	t.Helper()
	api := s3.NewFromConfig(sb.AWSConfig(), func(o *s3.Options) { o.UsePathStyle = true })
	out, err := api.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return nil, false
	}
	defer out.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(out.Body)
	return b.Bytes(), true
}

// waitForLock waits until a run holds shared/s3's state lock (its apply is in progress).
func waitForLock(t *testing.T, sb *sandboxtest.Sandbox, bucket string, done <-chan error) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Minute)
	for time.Now().Before(deadline) {
		if _, ok := s3Object(t, sb, bucket, slowLockKey); ok {
			return
		}
		select {
		case err := <-done:
			t.Fatalf("the run ended before shared/s3's apply took its lock: %v", err)
		case <-time.After(300 * time.Millisecond):
		}
	}
	t.Fatal("shared/s3's apply never took its state lock")
}

// startDagger starts scripts/dagger-local.sh (which execs `stacks guard`, or with guarded=false the
// dagger CLI itself) and returns the process, its output and a channel with its end.
func startDagger(t *testing.T, sb *sandboxtest.Sandbox, dir string, guarded bool, args ...string) (*exec.Cmd, *lockedBuffer, <-chan error) {
	t.Helper()
	cmd := exec.Command(filepath.Join(dir, "scripts", "dagger-local.sh"), append(args, "--progress=plain")...)
	cmd.Dir = dir
	cmd.Env = sb.Environ()
	if !guarded {
		cmd.Env = append(cmd.Env, "DELIVERY_NO_GUARD=1")
	}
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	return cmd, out, done
}

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

// TestInfraBundlePlanReviewApply: the plan bundle exported, then applied, changes exactly what it
// showed; a state change between plan and apply makes apply refuse naming the stack and the reason; a
// tampered plan file is refused; drift tells the unapplied code apart.
func TestInfraBundlePlanReviewApply(t *testing.T) {
	sb := sandboxtest.Env(t)
	requireDagger(t, sb)
	bucket := stateBucket(t, repoRoot(t))
	// Start from the repository's own state of the sandbox (a fresh sandbox has no stack state yet).
	if out, err := daggerLocal(t, sb, repoRoot(t), "apply"); err != nil {
		t.Fatalf("apply: %v\n%s", err, tail(out, 40))
	}
	owner := "e2e-" + time.Now().Format("150405")
	dir := withOwner(t, owner, nil)

	// Drift before anything is applied: the copy's code is not applied (every stack), nothing changed
	// outside Terraform.
	out, err := daggerLocal(t, sb, dir, "drift", "--format", "json")
	if err != nil {
		t.Fatalf("drift: %v\n%s", err, tail(out, 40))
	}
	rep := jsonReport(t, out)
	if rep.ExitCode != 2 || rep.Outputs["unapplied_stacks"] == "" || rep.Outputs["drifted_stacks"] != "" {
		t.Fatalf("drift report: %+v", rep)
	}

	bundle := filepath.Join(t.TempDir(), "bundle")
	out, err = daggerLocal(t, sb, dir, "plan", "export", "--path", bundle)
	if err != nil {
		t.Fatalf("plan: %v\n%s", err, tail(out, 40))
	}
	b, _, err := stackrun.LoadBundle(bundle)
	if err != nil {
		t.Fatal(err)
	}
	vpc, ok := b.Stack("shared/vpc")
	if !ok || vpc.Status != stackrun.BundlePlanned || b.Environment != "local" || len(b.Commit) != 7 {
		t.Fatalf("bundle: %+v", b)
	}
	for _, f := range []string{stackrun.BundleSummary, "report.json", "plan.log"} {
		if _, err := os.Stat(filepath.Join(bundle, f)); err != nil {
			t.Errorf("bundle has no %s: %v", f, err)
		}
	}
	shownOwner := plannedOwner(t, filepath.Join(bundle, filepath.FromSlash(vpc.PlanJSON)))
	if shownOwner != owner {
		t.Fatalf("the reviewed plan shows owner %q, want %q", shownOwner, owner)
	}

	// Tampered: one byte of one plan file.
	tampered := filepath.Join(t.TempDir(), "tampered")
	if err := exec.Command("cp", "-r", bundle, tampered).Run(); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(tampered, filepath.FromSlash(vpc.Plan))
	raw, _ := os.ReadFile(p)
	raw[len(raw)/2] ^= 0xff
	if err := os.WriteFile(p, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err = daggerLocal(t, sb, dir, "apply", "--bundle", tampered)
	if err == nil || !strings.Contains(out, "plan bundle refused, nothing applied") || !strings.Contains(out, "of stack shared/vpc") {
		t.Fatalf("a tampered bundle must be refused naming the stack:\n%s", tail(out, 30))
	}

	// The reviewed bundle, applied: exactly what it showed, and nothing is left to do.
	out, err = daggerLocal(t, sb, dir, "apply", "--bundle", bundle)
	if err != nil || !strings.Contains(out, "applying the reviewed plan of bundle") {
		t.Fatalf("apply --bundle: %v\n%s", err, tail(out, 60))
	}
	if got := stateOwner(t, sb, bucket, "shared/vpc"); got != shownOwner {
		t.Fatalf("shared/vpc's state has owner %q, the reviewed plan showed %q", got, shownOwner)
	}
	out, err = daggerLocal(t, sb, dir, "drift", "--format", "json")
	if rep := jsonReport(t, out); err != nil || rep.ExitCode != 0 {
		t.Fatalf("after the bundle was applied nothing may be left: %v %+v\n%s", err, rep, tail(out, 30))
	}

	// Stale: plan another owner, move shared/vpc's state in between, apply refuses naming it.
	dir2 := withOwner(t, owner+"-2", nil)
	bundle2 := filepath.Join(t.TempDir(), "bundle2")
	if out, err := daggerLocal(t, sb, dir2, "plan", "--stack", "shared/vpc", "export", "--path", bundle2); err != nil {
		t.Fatalf("plan: %v\n%s", err, tail(out, 40))
	}
	dir3 := withOwner(t, owner+"-3", nil)
	if out, err := daggerLocal(t, sb, dir3, "apply", "--stack", "shared/vpc"); err != nil {
		t.Fatalf("apply in between: %v\n%s", err, tail(out, 40))
	}
	out, err = daggerLocal(t, sb, dir2, "apply", "--bundle", bundle2)
	if err == nil || !strings.Contains(out, "stale plan for shared/vpc, not applied") || !strings.Contains(out, "state changed") {
		t.Fatalf("a plan whose state moved must be refused naming the stack and the reason:\n%s", tail(out, 30))
	}
	if got := stateOwner(t, sb, bucket, "shared/vpc"); got != owner+"-3" {
		t.Fatalf("the refused plan changed the state: owner %q", got)
	}
}

// TestInfraKilledApplyLeavesALockThatIsReportedAndRecovered: kill -9 of the dagger CLI in the middle of
// an apply (started bare, without the guard, so nothing can stop terraform gracefully: the engine
// SIGKILLs it); the next run names the held lock with holder, age and the exact fix; after that fix the
// stack converges.
func TestInfraKilledApplyLeavesALockThatIsReportedAndRecovered(t *testing.T) {
	sb := sandboxtest.Env(t)
	requireDagger(t, sb)
	bucket := stateBucket(t, repoRoot(t))
	dir := withOwner(t, "e2e-kill-"+time.Now().Format("150405"), slowStack)

	cmd, out, done := startDagger(t, sb, dir, false, "apply", "--stack", "shared/s3")
	waitForLock(t, sb, bucket, done)
	time.Sleep(3 * time.Second) // well inside the 20 s apply
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		t.Fatalf("dagger did not end after kill -9\n%s", tail(out.String(), 20))
	}
	time.Sleep(5 * time.Second) // the engine tears the session down
	if _, ok := s3Object(t, sb, bucket, slowLockKey); !ok {
		t.Fatalf("kill -9 mid-apply left no lock: the test did not hit the apply\n%s", tail(out.String(), 30))
	}

	// The next run: the held lock, with holder, age and the fix.
	next, err := daggerLocal(t, sb, dir, "apply", "--stack", "shared/s3", "--lock-timeout", "5s")
	if err == nil {
		t.Fatalf("apply with a dead run's lock must fail:\n%s", tail(next, 30))
	}
	for _, want := range []string{"state lock held: shared/s3 (key local/shared/s3/terraform.tfstate) is locked by", " ago)",
		"dagger call force-unlock --env local --stack shared/s3 --lock-id "} {
		if !strings.Contains(next, want) {
			t.Fatalf("the held-lock message lacks %q:\n%s", want, tail(next, 30))
		}
	}
	m := regexp.MustCompile(`--stack shared/s3 --lock-id ([0-9a-f-]+)`).FindStringSubmatch(next)
	if m == nil {
		t.Fatalf("no lock ID in:\n%s", tail(next, 30))
	}
	t.Logf("held-lock report:\n%s", grepLines(next, "state lock held"))

	// The documented recovery, then the stack converges.
	if out, err := daggerLocal(t, sb, dir, "force-unlock", "--stack", "shared/s3", "--lock-id", m[1]); err != nil {
		t.Fatalf("force-unlock: %v\n%s", err, tail(out, 30))
	}
	if out, err := daggerLocal(t, sb, dir, "apply", "--stack", "shared/s3"); err != nil {
		t.Fatalf("apply after the recovery: %v\n%s", err, tail(out, 40))
	}
	out2, err := daggerLocal(t, sb, dir, "drift", "--format", "json")
	if rep := jsonReport(t, out2); err != nil || strings.Contains(rep.Outputs["unapplied_stacks"], "shared/s3") {
		t.Fatalf("shared/s3 did not converge: %+v", rep)
	}
}

// TestInfraCancelledApplyLeavesNoLock: SIGINT to `dagger call apply` (through the guard, as Ctrl-C or a
// CI cancel sends it) interrupts terraform gracefully: the run ends by itself and no lock is left.
func TestInfraCancelledApplyLeavesNoLock(t *testing.T) {
	sb := sandboxtest.Env(t)
	requireDagger(t, sb)
	bucket := stateBucket(t, repoRoot(t))
	dir := withOwner(t, "e2e-sigint-"+time.Now().Format("150405"), slowStack)

	cmd, out, done := startDagger(t, sb, dir, true, "apply", "--stack", "shared/s3")
	waitForLock(t, sb, bucket, done)
	time.Sleep(3 * time.Second)
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	var err error
	select {
	case err = <-done:
	case <-time.After(3 * time.Minute):
		t.Fatalf("the cancelled run did not end\n%s", tail(out.String(), 30))
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 || !strings.Contains(out.String(), "stopping terraform gracefully") {
		t.Fatalf("want exit 130 after a graceful stop, got %v\n%s", err, tail(out.String(), 40))
	}
	if _, held := s3Object(t, sb, bucket, slowLockKey); held {
		t.Fatalf("a cancelled apply left its lock\n%s", tail(out.String(), 40))
	}
	t.Logf("cancelled run:\n%s", grepLines(out.String(), "interrupt", "stacks guard"))
	if out, err := daggerLocal(t, sb, dir, "apply", "--stack", "shared/s3"); err != nil {
		t.Fatalf("apply after the cancel: %v\n%s", err, tail(out, 40))
	}
}

// TestInfraDeployWithInfraConverges: `deploy --infra` runs the same apply machinery before the app
// deploy; on the repository as it is, it brings the sandbox back to the committed tags.
func TestInfraDeployWithInfraConverges(t *testing.T) {
	sb := sandboxtest.Env(t)
	requireDagger(t, sb)
	root := repoRoot(t)
	bucket := stateBucket(t, root)
	out, err := daggerLocal(t, sb, root, "deploy", "--infra")
	if err != nil {
		t.Fatalf("deploy --infra: %v\n%s", err, tail(out, 60))
	}
	if !strings.Contains(out, "infra") || !strings.Contains(out, "stacks changed") {
		t.Fatalf("the summary must say what the infra step did:\n%s", tail(out, 40))
	}
	want := tagsOwner(t, root)
	if got := stateOwner(t, sb, bucket, "shared/vpc"); got != want {
		t.Fatalf("after deploy --infra shared/vpc has owner %q, the repository says %q", got, want)
	}
	out, err = daggerLocal(t, sb, root, "drift", "--format", "json")
	if rep := jsonReport(t, out); err != nil || rep.ExitCode != 0 {
		t.Fatalf("deploy --infra must leave nothing to apply: %v %+v", err, rep)
	}
}

type ghReport struct {
	ExitCode int               `json:"exit_code"`
	Outputs  map[string]string `json:"outputs"`
}

func jsonReport(t *testing.T, out string) ghReport {
	t.Helper()
	// The report is the last top-level JSON object printed: from a line "{" to a line "}".
	lines := strings.Split(out, "\n")
	end := -1
	for i := len(lines) - 1; i >= 0 && end < 0; i-- {
		if lines[i] == "}" {
			end = i
		}
	}
	for start := end - 1; start >= 0 && end > 0; start-- {
		if lines[start] == "{" {
			var rep ghReport
			if err := json.Unmarshal([]byte(strings.Join(lines[start:end+1], "\n")), &rep); err != nil {
				t.Fatalf("report: %v\n%s", err, tail(out, 30))
			}
			return rep
		}
	}
	t.Fatalf("no JSON report in:\n%s", tail(out, 30))
	return ghReport{}
}

// plannedOwner is the Owner tag a stand-in's reviewed plan.json sets.
func plannedOwner(t *testing.T, planJSON string) string {
	t.Helper()
	raw, err := os.ReadFile(planJSON)
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		ResourceChanges []struct {
			Address string `json:"address"`
			Change  struct {
				After struct {
					Input struct {
						Tags map[string]string `json:"tags"`
					} `json:"input"`
				} `json:"after"`
			} `json:"change"`
		} `json:"resource_changes"`
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatal(err)
	}
	for _, rc := range p.ResourceChanges {
		if rc.Address == "terraform_data.this" {
			return rc.Change.After.Input.Tags["Owner"]
		}
	}
	t.Fatalf("%s changes no terraform_data.this", planJSON)
	return ""
}

// stateOwner is the Owner tag in a stand-in's state in moto's S3.
func stateOwner(t *testing.T, sb *sandboxtest.Sandbox, bucket, stack string) string {
	t.Helper()
	raw, ok := s3Object(t, sb, bucket, "local/"+stack+"/terraform.tfstate")
	if !ok {
		t.Fatalf("no state for %s", stack)
	}
	var st struct {
		Resources []struct {
			Type      string `json:"type"`
			Name      string `json:"name"`
			Instances []struct {
				Attributes struct {
					Input struct {
						Value struct {
							Tags map[string]string `json:"tags"`
						} `json:"value"`
					} `json:"input"`
				} `json:"attributes"`
			} `json:"instances"`
		} `json:"resources"`
	}
	if err := json.Unmarshal(raw, &st); err != nil {
		t.Fatal(err)
	}
	for _, r := range st.Resources {
		if r.Type == "terraform_data" && r.Name == "this" && len(r.Instances) == 1 {
			return r.Instances[0].Attributes.Input.Value.Tags["Owner"]
		}
	}
	t.Fatalf("%s's state has no terraform_data.this", stack)
	return ""
}

func tagsOwner(t *testing.T, root string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(root, "environments", "local", "tags.tfvars"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`Owner\s*=\s*"([^"]*)"`).FindStringSubmatch(string(raw))
	if m == nil {
		t.Fatal("environments/local/tags.tfvars sets no Owner")
	}
	return m[1]
}

func grepLines(s string, words ...string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		for _, w := range words {
			if strings.Contains(l, w) {
				out = append(out, l)
				break
			}
		}
	}
	return strings.Join(out, "\n")
}

// lockedBuffer is a bytes.Buffer safe for the process's writes and the test's reads.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
