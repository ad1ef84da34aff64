//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/zclconf/go-cty/cty"

	"github.com/platformteam/delivery/internal/iampolicy"
	"github.com/platformteam/delivery/internal/sandbox/awsfront/control"
	"github.com/platformteam/delivery/internal/sandbox/awsseed"
	"github.com/platformteam/delivery/internal/sandbox/sandboxtest"
	"github.com/platformteam/delivery/internal/sandbox/twin"
	"github.com/platformteam/delivery/internal/workflows"
	"github.com/platformteam/delivery/internal/workflows/ghfake"
	"github.com/platformteam/delivery/pkg/blueprint"
	"github.com/platformteam/delivery/pkg/environment"
	"github.com/platformteam/delivery/pkg/ghactions"
	"github.com/platformteam/delivery/pkg/stackgraph"
	"github.com/platformteam/delivery/pkg/stackrun"
)

// standInStacksRoot is the blueprint the twin scenarios' stacks come from: the provider-free stand-ins
// of stacks/ (the real stacks need the AWS Terraform provider, which cannot be obtained here).
const standInStacksRoot = "sandbox/blueprint"

// standInCheckout is the job's checkout for the twin scenarios: a copy of src at commit (HEAD detached
// at it, the working tree as src has it) with ONE substitution, named here and in docs/workflows.md
// section 6: each twin environment's delivery.yaml gets terraform.stacks_root: sandbox/blueprint, and
// its backend.hcl (the environment's own bucket, tf-state-<account>-<region>, which the test checks
// exists in the twin account and creates when missing) gets the twin's AWS endpoint for S3, STS and
// IAM with path-style addressing. The jobs' invocations, roles, trust, credentials and the account
// guard are the workflows' own.
func standInCheckout(t *testing.T, sb *sandboxtest.Sandbox, src, commit string) string {
	t.Helper()
	dir := t.TempDir()
	run := func(d string, name string, args ...string) {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Dir = d
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
	}
	// The history (shared objects: nothing copied), HEAD at the commit, the index at its tree.
	run(src, "git", "clone", "-q", "--shared", "--no-checkout", src, dir)
	run(dir, "git", "update-ref", "--no-deref", "HEAD", commit)
	run(dir, "git", "read-tree", "HEAD")
	run(src, "sh", "-c", fmt.Sprintf("git ls-files -z | xargs -0 cp --parents -t %q", dir))
	for _, env := range twinEnvironments {
		decl, err := environment.LoadTwin(sb.Layout.StateDir, env)
		if err != nil {
			t.Fatal(err)
		}
		yaml := filepath.Join(dir, environment.Dir, env, environment.FileName)
		raw, err := os.ReadFile(yaml)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Count(string(raw), "\nterraform:\n") != 1 || strings.Contains(string(raw), "stacks_root:") {
			t.Fatalf("%s: want one terraform: block without stacks_root to substitute the stand-ins in", yaml)
		}
		edited := strings.Replace(string(raw), "\nterraform:\n", "\nterraform:\n  stacks_root: "+standInStacksRoot+" # the e2e substitution (e2e/twin_stacks_test.go)\n", 1)
		if err := os.WriteFile(yaml, []byte(edited), 0o644); err != nil {
			t.Fatal(err)
		}
		hcl := filepath.Join(dir, environment.Dir, env, "backend.hcl")
		raw, err = os.ReadFile(hcl)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(raw), "endpoints") || strings.Contains(string(raw), "use_path_style") {
			t.Fatalf("%s already sets endpoints: the substitution expects the account's plain backend", hcl)
		}
		backend := fmt.Sprintf("%s\n# The e2e substitution (e2e/twin_stacks_test.go): the state bucket in the %s twin account.\nendpoints = {\n  s3  = %q\n  sts = %q\n  iam = %q\n}\nuse_path_style = true\n",
			strings.TrimRight(string(raw), "\n"), env, decl.AWS, decl.AWS, decl.AWS)
		if err := os.WriteFile(hcl, []byte(backend), 0o644); err != nil {
			t.Fatal(err)
		}
		ensureStateBucket(t, sb, dir, decl)
	}
	return dir
}

// backendBucket is the state bucket of env's backend.hcl in the checkout dir.
func backendBucket(t *testing.T, dir, env string) string {
	t.Helper()
	ov, err := blueprint.LoadOverlay(dir, env)
	if err != nil {
		t.Fatal(err)
	}
	b, ok := ov.Backend["bucket"]
	if !ok || b.IsNull() || b.Type() != cty.String {
		t.Fatalf("environments/%s/backend.hcl has no bucket", env)
	}
	return b.AsString()
}

// twinAdminS3 is S3 in the twin account as the account's bootstrap admin (the test's own view).
func twinAdminS3(t *testing.T, sb *sandboxtest.Sandbox, decl *environment.Twin) *s3.Client {
	t.Helper()
	b, ok, err := twin.ReadBootstrap(sb.Layout.StateDir)
	if err != nil || !ok {
		t.Fatalf("the twin's bootstrap: %v (run `go run ./cmd/sandbox up`)", err)
	}
	admin, ok := b.Admins[decl.AccountID]
	if !ok {
		t.Fatalf("the twin has no admin of account %s", decl.AccountID)
	}
	cfg := twin.Config(sb.AWSEndpoint, decl.Region, aws.Credentials{AccessKeyID: admin.AccessKeyID, SecretAccessKey: admin.SecretAccessKey})
	return s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
}

// ensureStateBucket checks the environment's state bucket (tf-state-<account>-<region>) exists in its
// twin account, as the account bootstrap creates it; creates it when missing.
func ensureStateBucket(t *testing.T, sb *sandboxtest.Sandbox, dir string, decl *environment.Twin) {
	t.Helper()
	bucket := backendBucket(t, dir, decl.Environment)
	if want := awsseed.StateBucketName(decl.AccountID, decl.Region); bucket != want {
		t.Fatalf("environments/%s/backend.hcl names bucket %s, want the account's %s", decl.Environment, bucket, want)
	}
	api := twinAdminS3(t, sb, decl)
	ctx := context.Background()
	if _, err := api.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)}); err == nil {
		return
	}
	_, err := api.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket),
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(decl.Region)}})
	if err != nil {
		t.Fatalf("create the state bucket %s in the %s twin: %v", bucket, decl.Environment, err)
	}
	t.Logf("created the state bucket %s in the %s twin account %s", bucket, decl.Environment, decl.AccountID)
}

// stateObjects lists the keys under the environment's prefix in its twin state bucket.
func stateObjects(t *testing.T, sb *sandboxtest.Sandbox, dir string, decl *environment.Twin) []string {
	t.Helper()
	api := twinAdminS3(t, sb, decl)
	var keys []string
	p := s3.NewListObjectsV2Paginator(api, &s3.ListObjectsV2Input{Bucket: aws.String(backendBucket(t, dir, decl.Environment)), Prefix: aws.String(decl.Environment + "/")})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	sort.Strings(keys)
	return keys
}

// standInStacks are the stack ids of the stand-in blueprint.
func standInStacks(t *testing.T, dir string) []string {
	t.Helper()
	bp, err := blueprint.Load(filepath.Join(dir, standInStacksRoot))
	if err != nil {
		t.Fatal(err)
	}
	g, err := stackgraph.Build(bp)
	if err != nil {
		t.Fatal(err)
	}
	ids := g.IDs()
	sort.Strings(ids)
	return ids
}

// frontRequests reads the twin front's request counters.
func frontRequests(t *testing.T, sb *sandboxtest.Sandbox) control.Requests {
	t.Helper()
	r, err := (&control.Client{Endpoint: sb.AWSEndpoint, HTTP: &http.Client{Timeout: 30 * time.Second}}).Requests(context.Background())
	if err != nil {
		t.Fatalf("the twin front's request counters: %v", err)
	}
	return r
}

// s3Writes are the S3 calls of account that write or delete (a state lock is a PutObject of a .tflock
// and a DeleteObject), refused ones included.
func s3Writes(r control.Requests, account string) int {
	n := 0
	for _, c := range r.Counts {
		if c.Account == account && c.Service == "s3" && (c.Mutating || c.Operation == "PutObject" || c.Operation == "DeleteObject") {
			n += c.Count
		}
	}
	return n
}

// s3Calls are the S3 calls of account, every operation.
func s3Calls(r control.Requests, account string) int {
	n := 0
	for _, c := range r.Counts {
		if c.Account == account && c.Service == "s3" {
			n += c.Count
		}
	}
	return n
}

// runStep runs a job's run: step (by name) as GitHub runs it: bash -eo pipefail in the checkout, the
// step's env and script with their expressions expanded for the event, and env added.
func (s *workflowScenario) runStep(t *testing.T, ev workflows.Event, job workflows.JobRun, name, dir string, env ...string) (string, error) {
	t.Helper()
	ctx := workflows.Contexts{
		GitHub: map[string]string{"repository": ev.Repository, "token": "fake-token", "event.pull_request.number": ev.PRNumber,
			"base_ref": ev.BaseRef, "sha": ev.SHA, "ref": ev.Ref},
		Matrix: job.Matrix,
	}
	for _, st := range job.Steps {
		if st.Name != name {
			continue
		}
		if st.Run == "" {
			t.Fatalf("%s: step %q runs no script", job.Name(), name)
		}
		script, err := workflows.ExpandExpressions(st.Run, ctx)
		if err != nil {
			t.Fatalf("%s: step %q: %v", job.Name(), name, err)
		}
		cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script)
		cmd.Dir = dir
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "GITHUB_") {
				cmd.Env = append(cmd.Env, kv)
			}
		}
		cmd.Env = append(cmd.Env, env...)
		for k, v := range st.Env {
			x, err := workflows.ExpandExpressions(v, ctx)
			if err != nil {
				t.Fatalf("%s: step %q: env %s: %v", job.Name(), name, k, err)
			}
			cmd.Env = append(cmd.Env, k+"="+x)
		}
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	t.Fatalf("%s has no step %q", job.Name(), name)
	return "", nil
}

// exitCode is the exit status of a step's error (0 for nil, -1 when it did not exit).
func exitCode(err error) int {
	var ee *exec.ExitError
	if err == nil {
		return 0
	}
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	return -1
}

// ghFakeStateEnv makes the test binary act as the recording `gh` (internal/workflows/ghfake) for a
// comment step: the state file of the fake GitHub.
const ghFakeStateEnv = "E2E_GH_FAKE_STATE"

func TestMain(m *testing.M) {
	if state := os.Getenv(ghFakeStateEnv); state != "" {
		if err := ghfake.Run(state, os.Args[1:], os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// goStepEnv is what a job's `go run`/`go build` steps get beyond the runner's environment: the
// checkout is a fresh directory per test, so paths are trimmed to keep the build cache's entries.
var goStepEnv = []string{"GOFLAGS=-buildvcs=false -trimpath"}

// git runs git in dir.
func gitIn(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.email=e2e@test", "-c", "user.name=e2e"}, args...)...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// planRoleRefusesLocks checks the plan role's keys cannot write the state lock object (the read-only
// role rendered from modules/iam/policies/read-only.json.tftpl has no s3:PutObject).
func planRoleRefusesLocks(t *testing.T, sb *sandboxtest.Sandbox, dir string, decl *environment.Twin, creds aws.Credentials, stack string) {
	t.Helper()
	api := s3.NewFromConfig(twin.Config(sb.AWSEndpoint, decl.Region, creds), func(o *s3.Options) { o.UsePathStyle = true })
	key := decl.Environment + "/" + stack + "/terraform.tfstate.tflock"
	_, err := api.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(backendBucket(t, dir, decl.Environment)), Key: aws.String(key),
		Body: strings.NewReader(`{"ID":"e2e"}`)})
	if err == nil || !strings.Contains(err.Error(), "AccessDenied") {
		t.Fatalf("the plan role wrote the lock object %s: %v (a plan must never be able to take the state lock)", key, err)
	}
}

// TestTwinWorkflowPullRequest is a pull request (issue 14, scenario 2.1) on the twin accounts, in the
// stand-in checkout (standInCheckout): a commit on top of this one that edits the stand-in root stack
// shared/vpc, with main at this commit. For each environment, pr.yml's plan job as internal/workflows
// derives it: its "Changed files" step (git diff origin/main...HEAD) run as GitHub runs it, its own
// `plan --changed-files … export --path out/plan` with the keys of AssumeRoleWithWebIdentity for its
// subject (<env>-plan) into vars.AWS_PLAN_ROLE_ARN, its publish step; then each comment job's own
// step against the recording gh (internal/workflows/ghfake): one comment per environment.
//
// Asserted: the call's report exit 0 and a bundle of the environment at the pull request's commit
// covering the changed stack and every dependent; no S3 write in the account during the plan (the
// twin front's counters: PR plans never take the state lock) and the plan role's keys refused a lock
// object; one comment per environment showing that environment's plan.
func TestTwinWorkflowPullRequest(t *testing.T) {
	s := newWorkflowScenario(t)
	changed := standInStacksRoot + "/stacks/shared/vpc/main.tf"
	appendFile(t, filepath.Join(s.root, filepath.FromSlash(changed)), "\n# A pull request's change (e2e).\n")
	gitIn(t, s.root, "add", changed)
	gitIn(t, s.root, "commit", "-q", "-m", "a pull request's change")
	gitIn(t, s.root, "update-ref", "refs/remotes/origin/main", s.commit)
	head := gitIn(t, s.root, "rev-parse", "HEAD")
	pr := s.event(t, "pull_request")
	pr.SHA = head
	stacks := standInStacks(t, s.root)
	summaries := map[string][]byte{} // artifact name → the uploaded summary.md

	for _, env := range twinEnvironments {
		ok := t.Run("pr/plan ("+env+")", func(t *testing.T) {
			job := s.job(t, pr, "pr/plan ("+env+")")
			call, parsed := s.call(t, job, "plan export")
			if job.Environment != env+"-plan" || call.Role.Variable != "AWS_PLAN_ROLE_ARN" {
				t.Fatalf("%s runs in environment %q with %s, want %s-plan and AWS_PLAN_ROLE_ARN", job.Name(), job.Environment, call.Role.Variable, env)
			}
			decl, err := environment.LoadTwin(s.sb.Layout.StateDir, env)
			if err != nil {
				t.Fatal(err)
			}
			// The runner's checkout of this job: nothing from the other matrix job.
			for _, p := range []string{"out", "changed-files.txt"} {
				_ = os.RemoveAll(filepath.Join(s.root, p))
			}
			t.Cleanup(func() {
				_ = os.RemoveAll(filepath.Join(s.root, "out"))
				_ = os.Remove(filepath.Join(s.root, "changed-files.txt"))
			})
			if out, err := s.runStep(t, pr, job, "Changed files (path guard for the stack graph)", s.root); err != nil {
				t.Fatalf("%s: the changed-files step: %v\n%s", job.Name(), err, out)
			}
			if got, _ := parsed.Flag("changed-files"); got != "changed-files.txt" {
				t.Fatalf("%s plans --changed-files %q, the step writes changed-files.txt", job.Name(), got)
			}
			raw, err := os.ReadFile(filepath.Join(s.root, "changed-files.txt"))
			if err != nil || strings.TrimSpace(string(raw)) != changed {
				t.Fatalf("changed-files.txt: %q %v, want the pull request's one change %s", raw, err, changed)
			}

			creds := s.githubKeys(t, pr, job, call)
			before := frontRequests(t, s.sb)
			rep, _ := s.run(t, job, call, parsed, creds)
			after := frontRequests(t, s.sb)
			if n := s3Writes(after, decl.AccountID) - s3Writes(before, decl.AccountID); n != 0 {
				t.Errorf("%s: %d S3 writes in account %s during the plan: a pull request's plan must never take the state lock", job.Name(), n, decl.AccountID)
			}
			if n := s3Calls(after, decl.AccountID) - s3Calls(before, decl.AccountID); n == 0 {
				t.Errorf("%s: no S3 call in account %s during the plan: the backend did not read the twin's state", job.Name(), decl.AccountID)
			}
			planRoleRefusesLocks(t, s.sb, s.root, decl, creds, "shared/vpc")

			bundleDir := filepath.Join(s.root, "out", "plan")
			b := loadBundle(t, bundleDir)
			if b.Environment != env || len(b.Commit) < 7 || !strings.HasPrefix(head, b.Commit) {
				t.Fatalf("%s's bundle is of %s at %s, want %s at the pull request's %s", job.Name(), b.Environment, b.Commit, env, head)
			}
			if st, ok := b.Stack("shared/vpc"); !ok || st.Status == stackrun.BundlePending {
				t.Fatalf("%s's bundle does not plan the changed stack shared/vpc: %+v", job.Name(), b.Stacks)
			}
			// The changed stack and every dependent, each planned or pending an upstream's first apply.
			for _, id := range stacks {
				if !strings.Contains(rep.Markdown, "| `"+id+"` | plan | ") {
					t.Errorf("%s's report has no plan row of %s (shared/vpc's dependents are every stand-in stack)", job.Name(), id)
				}
			}
			if !strings.Contains(rep.Markdown, "### stacks plan · "+env) || t.Failed() {
				t.Fatalf("%s's report: %s", job.Name(), rep.Markdown)
			}
			if out, err := s.runStep(t, pr, job, "Step summary, outputs and annotations", s.root, goStepEnv...); err != nil {
				t.Fatalf("%s: the publish step: %v\n%s", job.Name(), err, out)
			}
			if len(job.Uploads) != 1 || job.Uploads[0].Path != "out/plan/summary.md" {
				t.Fatalf("%s uploads %+v, want the plan's summary.md for the comment job", job.Name(), job.Uploads)
			}
			summary, err := os.ReadFile(filepath.Join(s.root, job.Uploads[0].Path))
			if err != nil {
				t.Fatal(err)
			}
			summaries[job.Uploads[0].Name] = summary
		})
		if !ok {
			return
		}
	}

	t.Run("pr/comment", func(t *testing.T) {
		state := filepath.Join(t.TempDir(), "gh.json")
		bin := t.TempDir()
		self, err := os.Executable()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(bin, "gh"), []byte("#!/bin/sh\nexec \""+self+"\" \"$@\"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		for _, env := range twinEnvironments {
			job := s.job(t, pr, "pr/comment ("+env+")")
			if len(job.Roles) > 0 {
				t.Fatalf("%s assumes a role: the comment job has no AWS credentials", job.Name())
			}
			work := t.TempDir()
			for _, d := range job.Downloads {
				data, ok := summaries[d.Name]
				if !ok {
					t.Fatalf("%s downloads %s, which no plan job uploaded", job.Name(), d.Name)
				}
				if err := os.MkdirAll(filepath.Join(work, d.Path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(work, d.Path, "summary.md"), data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			out, err := s.runStep(t, pr, job, "One plan comment per environment (updated on every push)", work,
				"PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), ghFakeStateEnv+"="+state, "HOME="+work)
			if err != nil {
				t.Fatalf("%s: %v\n%s", job.Name(), err, out)
			}
		}
		gh, err := ghfake.Load(state)
		if err != nil {
			t.Fatal(err)
		}
		if len(gh.Comments) != len(twinEnvironments) {
			t.Fatalf("the pull request shows %d comments, want one per environment: %+v", len(gh.Comments), gh.Comments)
		}
		for _, env := range twinEnvironments {
			n := 0
			for _, c := range gh.Comments {
				if c.Issue != pr.Repository+"#"+pr.PRNumber {
					t.Errorf("comment %d went to %s, not the pull request", c.ID, c.Issue)
				}
				if strings.HasPrefix(c.Body, "<!-- delivery-plan: "+env+" -->") && strings.Contains(c.Body, "### stacks plan · "+env) {
					n++
				}
			}
			if n != 1 {
				t.Errorf("%d comments show %s's plan under its marker, want 1: %+v", n, env, gh.Comments)
			}
		}
	})
}

// stateKey is a stack's state object in its environment's bucket.
func stateKey(env, stack string) string { return env + "/" + stack + "/terraform.tfstate" }

// appliedStacks are the stand-in stacks with a state object in the environment's twin bucket, and
// whether any lock object is left.
func (s *workflowScenario) appliedStacks(t *testing.T, decl *environment.Twin) (applied []string, locks []string) {
	t.Helper()
	keys := map[string]bool{}
	for _, k := range stateObjects(t, s.sb, s.root, decl) {
		keys[k] = true
		if strings.HasSuffix(k, ".tflock") {
			locks = append(locks, k)
		}
	}
	for _, id := range standInStacks(t, s.root) {
		if keys[stateKey(decl.Environment, id)] {
			applied = append(applied, id)
		}
	}
	return applied, locks
}

// applyStep runs the job's apply call (deploy.yml: "Infrastructure" in staging, "Apply exactly the
// reviewed bundle" in production) with the keys of its apply role. bundle holds the uploaded plan
// bundles (artifact name → directory): the job's download of one is put where the job downloads it.
// Asserted: report exit 0, the call's --env is the job's environment, the role is the apply role of
// that account, every stack the report says it applied has its state in the account's twin bucket,
// and no lock object is left behind.
func (s *workflowScenario) applyStep(t *testing.T, ev workflows.Event, job workflows.JobRun, bundle map[string]string) (ghactions.Report, []string) {
	t.Helper()
	call, parsed := s.call(t, job, "apply")
	return s.applyCall(t, job, call, parsed, bundle, func() aws.Credentials { return s.githubKeys(t, ev, job, call) })
}

// applyCall runs one apply call of a job (a workflow's or the buildspec's) with the keys keys returns,
// as applyStep says. The call's role must be the apply role the account's Terraform declares.
func (s *workflowScenario) applyCall(t *testing.T, job workflows.JobRun, call workflows.DaggerCall, parsed workflows.Call, bundle map[string]string, keys func() aws.Credentials) (ghactions.Report, []string) {
	t.Helper()
	env, _ := parsed.Flag("env")
	decl, err := environment.LoadTwin(s.sb.Layout.StateDir, job.Environment)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := iampolicy.Load(s.root, job.Environment)
	if err != nil {
		t.Fatal(err)
	}
	apply, ok := ids.Role(iampolicy.Apply)
	if !ok || call.Role == nil || env != job.Environment || call.Role.ARN != apply.ARN || !strings.HasPrefix(apply.ARN, "arn:aws:iam::"+decl.AccountID+":role/") {
		t.Fatalf("%s applies --env %s as %+v, want its environment %s with the apply role of account %s (%s)", job.Name(), env, call.Role, job.Environment, decl.AccountID, apply.ARN)
	}
	if want, ok := parsed.Flag("bundle"); ok {
		found := false
		for _, d := range job.Downloads {
			src, ok := bundle[d.Name]
			if !ok {
				continue
			}
			if d.Path != want {
				t.Fatalf("%s downloads %s to %s but applies --bundle %s", job.Name(), d.Name, d.Path, want)
			}
			dst := filepath.Join(s.root, filepath.FromSlash(d.Path))
			_ = os.RemoveAll(dst)
			if out, err := exec.Command("cp", "-r", src, dst).CombinedOutput(); err != nil {
				t.Fatalf("download %s: %v\n%s", d.Name, err, out)
			}
			t.Cleanup(func() { _ = os.RemoveAll(dst) })
			found = true
		}
		if !found {
			t.Fatalf("%s applies --bundle %s, but downloads none of the uploaded bundles (%v): %+v", job.Name(), want, bundle, job.Downloads)
		}
	}
	rep, _ := s.run(t, job, call, parsed, keys())
	if !strings.Contains(rep.Markdown, "### stacks apply · "+job.Environment) {
		t.Fatalf("%s's apply report: %s", job.Name(), rep.Markdown)
	}
	applied, locks := s.appliedStacks(t, decl)
	if len(locks) > 0 {
		t.Errorf("%s left lock objects in the state bucket: %v", job.Name(), locks)
	}
	for _, id := range standInStacks(t, s.root) {
		if strings.Contains(rep.Markdown, "| `"+id+"` | apply | ✅ applied") && !contains(applied, id) {
			t.Errorf("%s reports %s applied, but the twin's bucket holds no %s", job.Name(), id, stateKey(job.Environment, id))
		}
	}
	t.Logf("%s: the %s twin holds the state of %d of %d stand-in stacks", job.Name(), job.Environment, len(applied), len(standInStacks(t, s.root)))
	return rep, applied
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// productionPlan is deploy.yml's production-plan job: its own `plan --env production export --path
// out/plan` with the read-only plan role's keys (environment production-plan), its summary step, and
// the upload of the bundle into storage (outliving the job). It returns the uploaded bundle (artifact
// name → the stored copy of the directory).
func (s *workflowScenario) productionPlan(t *testing.T, ev workflows.Event, storage string) map[string]string {
	t.Helper()
	job := s.job(t, ev, "deploy/production-plan")
	call, parsed := s.call(t, job, "plan export")
	if job.Environment != "production-plan" || call.Role.Variable != "AWS_PLAN_ROLE_ARN" {
		t.Fatalf("%s runs in %q with %s, want production-plan and AWS_PLAN_ROLE_ARN", job.Name(), job.Environment, call.Role.Variable)
	}
	decl, err := environment.LoadTwin(s.sb.Layout.StateDir, "production")
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(s.root, "out", "plan")
	_ = os.RemoveAll(out)
	t.Cleanup(func() { _ = os.RemoveAll(out) })
	creds := s.githubKeys(t, ev, job, call)
	before := frontRequests(t, s.sb)
	s.run(t, job, call, parsed, creds)
	if n := s3Writes(frontRequests(t, s.sb), decl.AccountID) - s3Writes(before, decl.AccountID); n != 0 {
		t.Errorf("%s: %d S3 writes in the production account during the plan: plans never take the state lock", job.Name(), n)
	}
	b := loadBundle(t, out)
	if b.Environment != "production" || !b.Production || !strings.HasPrefix(s.commit, b.Commit) || len(b.Commit) < 7 {
		t.Fatalf("%s's bundle: %s at %s (production %v), want production at %s", job.Name(), b.Environment, b.Commit, b.Production, s.commit)
	}
	if o, err := s.runStep(t, ev, job, "Plan in the job summary", s.root, append(goStepEnv, "GITHUB_STEP_SUMMARY="+filepath.Join(t.TempDir(), "summary"))...); err != nil {
		t.Fatalf("%s: the summary step: %v\n%s", job.Name(), err, o)
	}
	if len(job.Uploads) != 1 || job.Uploads[0].Path != "out/plan" {
		t.Fatalf("%s uploads %+v, want the bundle directory out/plan", job.Name(), job.Uploads)
	}
	kept := filepath.Join(storage, job.Uploads[0].Name)
	if o, err := exec.Command("cp", "-r", out, kept).CombinedOutput(); err != nil {
		t.Fatalf("upload %s: %v\n%s", job.Uploads[0].Name, err, o)
	}
	return map[string]string{job.Uploads[0].Name: kept}
}

// driftJobs is drift.yml for the schedule (issue 14, scenario 2.4) on each twin: the job's own
// `drift --env <env> --format json -o out/drift/report.json` with the keys of its drift role
// (environment <env>-drift), then its publish step (the built gha, which exits with the report's code).
// Asserted: nothing changed outside Terraform; no S3 write in the account; the step exits with the
// report's code. An environment whose every stack has its state in the twin (staging after its apply)
// has no code unapplied and exits 0. One with stacks still without state (production after a first
// deployment's reviewed bundle: the stacks pending an upstream wait for the next reviewed plan) exits
// 2 and reports exactly the stacks without state as code not applied, those reading a missing upstream
// state included.
func (s *workflowScenario) driftJobs(t *testing.T) {
	schedule := s.event(t, "schedule")
	for _, env := range twinEnvironments {
		t.Run("drift/drift ("+env+")", func(t *testing.T) {
			job := s.job(t, schedule, "drift/drift ("+env+")")
			call, parsed := s.call(t, job, "drift")
			if job.Environment != env+"-drift" || call.Role.Variable != "AWS_DRIFT_ROLE_ARN" {
				t.Fatalf("%s runs in %q with %s, want %s-drift and AWS_DRIFT_ROLE_ARN", job.Name(), job.Environment, call.Role.Variable, env)
			}
			decl, err := environment.LoadTwin(s.sb.Layout.StateDir, env)
			if err != nil {
				t.Fatal(err)
			}
			applied, _ := s.appliedStacks(t, decl)
			var unapplied []string
			for _, id := range standInStacks(t, s.root) {
				if !contains(applied, id) {
					unapplied = append(unapplied, id)
				}
			}
			before := frontRequests(t, s.sb)
			rep, _ := s.runReport(t, job, call, parsed, s.githubKeys(t, schedule, job, call))
			if n := s3Writes(frontRequests(t, s.sb), decl.AccountID) - s3Writes(before, decl.AccountID); n != 0 {
				t.Errorf("%s: %d S3 writes in account %s during drift: the drift role is read-only and drift never locks", job.Name(), n, decl.AccountID)
			}
			if rep.Outputs["drifted_stacks"] != "" {
				t.Errorf("%s: changed outside Terraform: %s", job.Name(), rep.Outputs["drifted_stacks"])
			}
			var got []string
			if rep.Outputs["unapplied_stacks"] != "" {
				got = strings.Split(rep.Outputs["unapplied_stacks"], ",")
			}
			sort.Strings(got) // unapplied is sorted too
			for _, id := range got {
				if !contains(unapplied, id) {
					t.Errorf("%s: reports code not applied in %s, whose state the twin holds", job.Name(), id)
				}
			}
			switch {
			case len(unapplied) == 0 && (rep.ExitCode != 0 || len(got) > 0):
				t.Errorf("%s: every stack is applied, but the report exits %d with code not applied in %v", job.Name(), rep.ExitCode, got)
			case len(unapplied) > 0 && (rep.ExitCode != 2 || strings.Join(got, ",") != strings.Join(unapplied, ",")):
				t.Errorf("%s: %v have no state in the twin; the report exits %d (want 2) with code not applied in %v", job.Name(), unapplied, rep.ExitCode, got)
			}
			out, err := s.runStep(t, schedule, job, "Drift table (exit 2 when anything drifted)", s.root, append(goStepEnv, "RUNNER_TEMP="+t.TempDir())...)
			if code := exitCode(err); code != rep.ExitCode {
				t.Errorf("%s: the drift table step exits %d, the report's code is %d\n%s", job.Name(), code, rep.ExitCode, out)
			}
			t.Logf("%s: %d of %d stacks without state in the twin, report exit code %d, the step's %d", job.Name(), len(unapplied), len(standInStacks(t, s.root)), rep.ExitCode, exitCode(err))
			if t.Failed() || rep.ExitCode != 0 {
				t.Log(rep.Markdown)
			}
		})
	}
}
