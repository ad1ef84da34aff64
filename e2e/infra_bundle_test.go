//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/zclconf/go-cty/cty"

	"github.com/platformteam/delivery/internal/sandbox/sandboxtest"
	"github.com/platformteam/delivery/pkg/blueprint"
	"github.com/platformteam/delivery/pkg/stackrun"
)

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

// TestInfraBundlePlanReviewApply: the plan bundle exported, then applied, changes exactly what it
// showed; a tampered plan file is refused; a state change between plan and apply makes apply refuse
// naming the stack and the reason. Every call acts on one root stack (shared/vpc): the claims are per
// stack, and a call over the whole blueprint costs minutes on a busy machine (make test's budget).
func TestInfraBundlePlanReviewApply(t *testing.T) {
	sb := sandboxtest.Env(t)
	requireDagger(t, sb)
	bucket := stateBucket(t, repoRoot(t))
	const stack = "shared/vpc"
	owner := "e2e-" + time.Now().Format("150405")
	// A copy with its own git repository, so the module reads its commit (a worktree's .git is a file).
	dir := withOwner(t, owner, nil)

	bundle := filepath.Join(t.TempDir(), "bundle")
	out, err := daggerLocal(t, sb, dir, "plan", "--stack", stack, "export", "--path", bundle)
	if err != nil {
		t.Fatalf("plan: %v\n%s", err, tail(out, 40))
	}
	b := loadBundle(t, bundle)
	vpc, ok := b.Stack(stack)
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
	if err == nil || !strings.Contains(out, "plan bundle refused, nothing applied") || !strings.Contains(out, "of stack "+stack) {
		t.Fatalf("a tampered bundle must be refused naming the stack:\n%s", tail(out, 30))
	}

	// The reviewed bundle, applied: exactly what it showed, and nothing is left to do.
	out, err = daggerLocal(t, sb, dir, "apply", "--bundle", bundle)
	if err != nil || !strings.Contains(out, "applying the reviewed plan of bundle") {
		t.Fatalf("apply --bundle: %v\n%s", err, tail(out, 60))
	}
	if got := stateOwner(t, sb, bucket, stack); got != shownOwner {
		t.Fatalf("%s's state has owner %q, the reviewed plan showed %q", stack, got, shownOwner)
	}

	// Stale: plan another owner (this plan also shows that nothing of the first is left to do: the
	// state matches the applied code), move the state in between, apply refuses naming the stack.
	dir2 := withOwner(t, owner+"-2", nil)
	bundle2 := filepath.Join(t.TempDir(), "bundle2")
	if out, err := daggerLocal(t, sb, dir2, "plan", "--stack", stack, "export", "--path", bundle2); err != nil {
		t.Fatalf("plan: %v\n%s", err, tail(out, 40))
	}
	b2 := loadBundle(t, bundle2)
	vpc2, _ := b2.Stack(stack)
	if vpc2.Status != stackrun.BundlePlanned || vpc2.Add+vpc2.Destroy != 0 || vpc2.Change != 1 {
		t.Fatalf("after the bundle was applied, another owner must be exactly one in-place change of %s: %+v", stack, vpc2)
	}
	dir3 := withOwner(t, owner+"-3", nil)
	if out, err := daggerLocal(t, sb, dir3, "apply", "--stack", stack); err != nil {
		t.Fatalf("apply in between: %v\n%s", err, tail(out, 40))
	}
	out, err = daggerLocal(t, sb, dir2, "apply", "--bundle", bundle2)
	if err == nil || !strings.Contains(out, "stale plan for "+stack+", not applied") || !strings.Contains(out, "state changed") {
		t.Fatalf("a plan whose state moved must be refused naming the stack and the reason:\n%s", tail(out, 30))
	}
	if got := stateOwner(t, sb, bucket, stack); got != owner+"-3" {
		t.Fatalf("the refused plan changed the state: owner %q", got)
	}
}

func loadBundle(t *testing.T, dir string) *stackrun.Bundle {
	t.Helper()
	b, _, err := stackrun.LoadBundle(dir)
	if err != nil {
		t.Fatal(err)
	}
	return b
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
	// Other resources of the stack (a test's own terraform_data) may hold inputs of any type: only
	// terraform_data.this's input is decoded.
	var st struct {
		Resources []struct {
			Type      string `json:"type"`
			Name      string `json:"name"`
			Instances []struct {
				Attributes struct {
					Input json.RawMessage `json:"input"`
				} `json:"attributes"`
			} `json:"instances"`
		} `json:"resources"`
	}
	if err := json.Unmarshal(raw, &st); err != nil {
		t.Fatal(err)
	}
	for _, r := range st.Resources {
		if r.Type == "terraform_data" && r.Name == "this" && len(r.Instances) == 1 {
			var input struct {
				Value struct {
					Tags map[string]string `json:"tags"`
				} `json:"value"`
			}
			if err := json.Unmarshal(r.Instances[0].Attributes.Input, &input); err != nil {
				t.Fatalf("%s's terraform_data.this input: %v", stack, err)
			}
			return input.Value.Tags["Owner"]
		}
	}
	t.Fatalf("%s's state has no terraform_data.this", stack)
	return ""
}
