//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/platformteam/delivery/internal/iampolicy"
	"github.com/platformteam/delivery/internal/sandbox"
	"github.com/platformteam/delivery/internal/sandbox/oidc"
	"github.com/platformteam/delivery/internal/sandbox/sandboxtest"
	"github.com/platformteam/delivery/internal/sandbox/twin"
	"github.com/platformteam/delivery/internal/workflows"
	"github.com/platformteam/delivery/pkg/artifact"
	"github.com/platformteam/delivery/pkg/environment"
	"github.com/platformteam/delivery/pkg/ghactions"
	"github.com/platformteam/delivery/pkg/stackrun"
)

// workflowScenario runs jobs of the repository's own workflow files (.github/workflows, buildspec.yml)
// on the twin accounts, as internal/workflows derives them for an event of this commit: each job's own
// `dagger call` words, with the keys the job's credential step would export. The sandbox adds only the
// twin inputs (--twin, --twin-service) and its local base images. The jobs run in a copy of the
// checkout at the same commit that makes one substitution (standInCheckout): the twin environments'
// stacks are the provider-free stand-ins, their S3 backend at the twin.
type workflowScenario struct {
	sb       *sandboxtest.Sandbox
	root     string // the job's checkout: the copy
	commit   string
	repo     *workflows.Repository
	local    *environment.Environment
	services []string
}

// twinEnvironments are the environments with a twin account.
var twinEnvironments = []string{"staging", "production"}

func newWorkflowScenario(t *testing.T) *workflowScenario {
	t.Helper()
	sb := sandboxtest.Env(t)
	requireDagger(t, sb)
	src := repoRoot(t)
	rev, err := exec.Command("git", "-C", src, "rev-parse", "HEAD").Output()
	if err != nil {
		t.Fatalf("git rev-parse HEAD: %v", err)
	}
	commit := strings.TrimSpace(string(rev))
	root := standInCheckout(t, sb, src, commit)
	repo, err := workflows.LoadRepository(root, root)
	if err != nil {
		t.Fatal(err)
	}
	local, err := environment.Load(root, "local")
	if err != nil {
		t.Fatal(err)
	}
	s := &workflowScenario{sb: sb, root: root, commit: commit, repo: repo, local: local}
	seen := map[string]bool{}
	for _, env := range twinEnvironments {
		decl, err := environment.LoadTwin(sb.Layout.StateDir, env)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range decl.Addresses() {
			if !seen[a] {
				seen[a] = true
				s.services = append(s.services, "tcp://"+a)
			}
		}
	}
	return s
}

// event is the declared event by name, for this commit.
func (s *workflowScenario) event(t *testing.T, name string) workflows.Event {
	t.Helper()
	for _, ev := range s.repo.Events() {
		if ev.Name == name {
			ev.SHA = s.commit
			return ev
		}
	}
	t.Fatalf("internal/workflows declares no %s event", name)
	return workflows.Event{}
}

// job is the job the event runs under that name (deploy/staging).
func (s *workflowScenario) job(t *testing.T, ev workflows.Event, name string) workflows.JobRun {
	t.Helper()
	for _, j := range workflows.Derive(s.repo.Workflows, ev) {
		if j.Name() == name {
			if !j.Runs {
				t.Fatalf("a %s to %s does not run %s (its if: is false)", ev.Name, ev.Ref, name)
			}
			return j
		}
	}
	t.Fatalf("a %s to %s runs no job %s", ev.Name, ev.Ref, name)
	return workflows.JobRun{}
}

// call is the job's `dagger call` of the function chain fn, checked against the module; it must run
// under an assumed role and write its report into the checkout.
func (s *workflowScenario) call(t *testing.T, job workflows.JobRun, fn string) (workflows.DaggerCall, workflows.Call) {
	t.Helper()
	for _, c := range job.Calls {
		if p, err := s.repo.Module.ParseCall(c.Args); err == nil && p.Functions() == fn {
			if c.Role == nil || c.Role.ARN == "" {
				t.Fatalf("%s: step %q calls %s with no assumed role", job.Name(), c.Step, fn)
			}
			if out := reportPath(p); out == "" || filepath.IsAbs(out) {
				t.Fatalf("%s: step %q writes its report to %q, want a path in the checkout", job.Name(), c.Step, out)
			}
			return c, p
		}
	}
	t.Fatalf("%s has no `dagger call … %s` that the module accepts: %+v", job.Name(), fn, job.Calls)
	return workflows.DaggerCall{}, workflows.Call{}
}

// reportPath is where a call writes its CI report: its -o file, or report.json in the directory a
// chain ending in `export --path DIR` exports (a plan bundle).
func reportPath(c workflows.Call) string {
	if c.Output != "" {
		return c.Output
	}
	if n := len(c.Chain); n > 0 && c.Chain[n-1].Function == "export" && c.Chain[n-1].Flags["path"] != "" {
		return filepath.Join(c.Chain[n-1].Flags["path"], "report.json")
	}
	return ""
}

// githubKeys is what aws-actions/configure-aws-credentials exports for the call's role: the keys of
// AssumeRoleWithWebIdentity with a token for the job's OIDC subject, as GitHub mints it.
func (s *workflowScenario) githubKeys(t *testing.T, ev workflows.Event, job workflows.JobRun, call workflows.DaggerCall) aws.Credentials {
	t.Helper()
	workflow := strings.TrimSuffix(filepath.Base(job.Workflow), filepath.Ext(job.Workflow))
	gh := oidc.Job{Repository: s.repo.GitHubRepository, Event: ev.Name, Ref: ev.Ref, Environment: job.Environment,
		SHA: ev.SHA, Workflow: workflow, RunID: workflows.ExampleRunID, Actor: workflows.ExampleActor}
	if gh.Subject() != job.Subject {
		t.Fatalf("the sandbox issuer's subject %s, the job's %s", gh.Subject(), job.Subject)
	}
	tok, err := twin.Token(s.sb.Layout.StateDir, gh, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	creds, err := twin.AssumeRoleWithWebIdentity(context.Background(), s.sb.AWSEndpoint, call.Role.Region, call.Role.ARN, "GitHubActions", tok)
	if err != nil {
		t.Fatalf("%s: the role %s for %s: %v", job.Name(), call.Role.ARN, job.Subject, err)
	}
	return creds
}

// run is runReport for a call whose report must say exit code 0.
func (s *workflowScenario) run(t *testing.T, job workflows.JobRun, call workflows.DaggerCall, parsed workflows.Call, creds aws.Credentials) (ghactions.Report, string) {
	t.Helper()
	rep, out := s.runReport(t, job, call, parsed, creds)
	if rep.ExitCode != 0 {
		t.Fatalf("%s: the report's exit code %d: %s", job.Name(), rep.ExitCode, rep.Markdown)
	}
	return rep, out
}

// runReport runs the call's words with the keys in AWS_* (what the job's `env://AWS_…` flags read) and
// no other AWS or Kubernetes setting, then reads the report the call wrote.
func (s *workflowScenario) runReport(t *testing.T, job workflows.JobRun, call workflows.DaggerCall, parsed workflows.Call, creds aws.Credentials) (ghactions.Report, string) {
	t.Helper()
	args := []string{"call", "--progress=plain",
		"--twin", filepath.Join(s.sb.Layout.StateDir, environment.TwinDir), "--twin-service", strings.Join(s.services, ","),
		"--go-image", s.local.Images.Go, "--tools-image", s.local.Images.Tools, "--terraform-image", s.local.Images.Terraform}
	args = append(args, call.Args...)
	report := filepath.Join(s.root, reportPath(parsed))
	if _, err := os.Stat(report); err == nil {
		t.Fatalf("%s exists: the job starts from a clean checkout (remove it)", report)
	}
	t.Cleanup(func() { _ = os.Remove(report) })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	cmd := daggerCmd(ctx, s.sb, s.root, args...)
	cmd.Env = append(cmd.Env,
		"AWS_ACCESS_KEY_ID="+creds.AccessKeyID, "AWS_SECRET_ACCESS_KEY="+creds.SecretAccessKey, "AWS_SESSION_TOKEN="+creds.SessionToken,
		"AWS_REGION="+call.Role.Region, "AWS_DEFAULT_REGION="+call.Role.Region)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	t.Logf("%s, step %q: dagger %s: %s (%v)", job.Name(), call.Step, strings.Join(call.Args, " "), time.Since(start).Round(time.Second), err)
	if err != nil {
		t.Fatalf("%s's call on the twin: %v\n%s", job.Name(), err, tail(out.String(), 80))
	}
	raw, err := os.ReadFile(report)
	if err != nil {
		t.Fatalf("%s's report: %v\n%s", job.Name(), err, tail(out.String(), 40))
	}
	for _, secret := range []string{creds.SecretAccessKey, creds.SessionToken} {
		if strings.Contains(out.String(), secret) || strings.Contains(string(raw), secret) {
			t.Fatalf("%s: the job's credentials appear in the call's output or its report", job.Name())
		}
	}
	var rep ghactions.Report
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatalf("%s: %v", report, err)
	}
	return rep, out.String()
}

// reportArtifact is the report's outputs.artifact (what `jq -r .outputs.artifact` writes), checked
// against the report's digest.
func reportArtifact(t *testing.T, job string, rep ghactions.Report) *artifact.Artifact {
	t.Helper()
	art, err := artifact.Parse([]byte(rep.Outputs["artifact"]))
	if err != nil {
		t.Fatalf("%s: outputs.artifact: %v", job, err)
	}
	if art.Digest() == "" || art.Digest() != rep.Outputs["digest"] {
		t.Fatalf("%s: outputs.artifact %+v, want the report's digest %s", job, art, rep.Outputs["digest"])
	}
	return art
}

// TestTwinWorkflowPushToMain is the push to main (issue 14, scenarios 2.2 and 2.3), then the schedule
// (2.4), on the twin accounts: .github/workflows/deploy.yml as internal/workflows derives it for a push
// of this commit, in the stand-in checkout (standInCheckout: the stacks are the provider-free
// stand-ins, their backend in the twin account).
//   - deploy/staging: its own `apply --env staging` with the apply role's keys (applyStep), then its
//     own `dagger call … deploy` words with the keys configure-aws-credentials exports for its OIDC
//     subject; its report's outputs.artifact is what staging runs, and its next steps write it to the
//     file the job uploads as staging-artifact.
//   - deploy/production-plan: its own plan with the read-only plan role, the bundle it uploads.
//   - deploy/production, after the approval: the bundle downloaded where the job downloads it and its
//     own `apply --bundle out/plan --approve` with the apply role (the `stacks guard` wrapper of that
//     step is not run here: TestInfraKilledAndCancelledApplies runs it); the staging artifact
//     downloaded, then the job's own deploy call with its own role: staging's digest promoted to
//     production's registry and running there, verified strictly, with no build.
//   - drift.yml for each twin (driftJobs).
func TestTwinWorkflowPushToMain(t *testing.T) {
	s := newWorkflowScenario(t)
	push := s.event(t, "push")
	var staged *artifact.Artifact
	uploads := map[string][]byte{} // artifact name → the uploaded file's content

	ok := t.Run("deploy/staging", func(t *testing.T) {
		job := s.job(t, push, "deploy/staging")
		// Step "Infrastructure": its own apply call with the apply role's keys; outside production it
		// plans and applies every stack.
		if _, applied := s.applyStep(t, push, job, nil); len(applied) != len(standInStacks(t, s.root)) {
			t.Fatalf("after deploy/staging's apply the twin holds the state of %v, want every stand-in stack", applied)
		}
		call, parsed := s.call(t, job, "deploy")
		rep, _ := s.run(t, job, call, parsed, s.githubKeys(t, push, job, call))
		staged = reportArtifact(t, job.Name(), rep)
		if short := staged.Commit.String(); len(short) < 7 || !strings.HasPrefix(s.commit, short) {
			t.Fatalf("outputs.artifact names commit %s, want %s", short, s.commit)
		}
		if !strings.Contains(rep.Markdown, "verified running on every target") {
			t.Errorf("the job's summary must say the digest was verified on every target (strict outside local):\n%s", rep.Markdown)
		}
		decl, err := environment.LoadTwin(s.sb.Layout.StateDir, job.Environment)
		if err != nil {
			t.Fatal(err)
		}
		stg := newTwinJob(t, s.sb, s.root, job.Environment, s.commit)
		if img, want := stg.ecsImage(t, s.sb, s.root), decl.ECRHost+"/"+s.local.Image.Repository+"@"+staged.Digest(); img != want {
			t.Fatalf("staging ECS runs %s, want %s", img, want)
		}
		// The next step (jq -r .outputs.artifact out/deploy/report.json > out/deploy/artifact.json) and
		// the upload of that file.
		if len(job.Uploads) != 1 {
			t.Fatalf("deploy/staging uploads %+v, want the one artifact file production needs", job.Uploads)
		}
		uploads[job.Uploads[0].Name] = []byte(rep.Outputs["artifact"] + "\n")
		uploaded := filepath.Join(s.root, job.Uploads[0].Path)
		if err := os.WriteFile(uploaded, uploads[job.Uploads[0].Name], 0o644); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = os.Remove(uploaded) })
		if got, err := artifact.Read(uploaded); err != nil || got.Digest() != staged.Digest() {
			t.Fatalf("%s as the job writes it: %+v %v", job.Uploads[0].Path, got, err)
		}
	})
	if !ok {
		return
	}

	var bundle map[string]string // the uploaded plan bundle: artifact name → the directory it holds
	storage := t.TempDir()       // the workflow run's artifact storage
	ok = t.Run("deploy/production-plan", func(t *testing.T) {
		bundle = s.productionPlan(t, push, storage)
	})
	if !ok {
		return
	}

	t.Run("deploy/production", func(t *testing.T) {
		job := s.job(t, push, "deploy/production")
		// Steps "The reviewed plan bundle" (download) and "Apply exactly the reviewed bundle": every
		// stack the reviewed bundle planned is applied; a first deployment leaves the stacks that were
		// pending an upstream for the next reviewed plan (docs/stack-engine.md).
		_, applied := s.applyStep(t, push, job, bundle)
		for _, dir := range bundle {
			for _, st := range loadBundle(t, dir).Stacks {
				if st.Status != stackrun.BundlePending && !contains(applied, st.Stack) {
					t.Errorf("the reviewed bundle planned %s (%s), but the production twin holds no state of it", st.Stack, st.Status)
				}
			}
		}
		call, parsed := s.call(t, job, "deploy")
		if _, ok := parsed.ModuleFlags["commit"]; ok {
			t.Errorf("production's deploy call passes --commit: it must deploy staging's artifact, not a build of the commit")
		}
		// actions/download-artifact: the staging-artifact file, under the path the job names.
		var path string
		for _, d := range job.Downloads {
			if data, ok := uploads[d.Name]; ok {
				path = filepath.Join(d.Path, "artifact.json")
				if err := os.MkdirAll(filepath.Join(s.root, d.Path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(s.root, path), data, 0o644); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = os.RemoveAll(filepath.Join(s.root, d.Path)) })
			}
		}
		if path == "" {
			t.Fatalf("deploy/production downloads %+v: none is what deploy/staging uploaded", job.Downloads)
		}
		if got, _ := parsed.Flag("artifact"); got != path {
			t.Fatalf("production's deploy call reads --artifact %q, the downloaded staging artifact is %s", got, path)
		}
		decl, err := environment.LoadTwin(s.sb.Layout.StateDir, job.Environment)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(call.Role.ARN, "arn:aws:iam::"+decl.AccountID+":role/") {
			t.Fatalf("production's deploy call runs as %s, not a role of the production account %s", call.Role.ARN, decl.AccountID)
		}
		// The runner of this job is another machine: staging's report is not in its checkout.
		_ = os.Remove(filepath.Join(s.root, parsed.Output))

		rep, out := s.run(t, job, call, parsed, s.githubKeys(t, push, job, call))
		got := reportArtifact(t, job.Name(), rep)
		if got.Digest() != staged.Digest() || got.Tag() != staged.Tag() {
			t.Fatalf("production deployed %s (tag %s), staging verified %s (tag %s)", got.Digest(), got.Tag(), staged.Digest(), staged.Tag())
		}
		if want := decl.ECRHost + "/" + s.local.Image.Repository; got.Repository() != want {
			t.Fatalf("production's artifact is in %s, want its own registry %s", got.Repository(), want)
		}
		if !strings.Contains(rep.Markdown, "promoted from `"+staged.Repository()+"` (same digest, not rebuilt)") ||
			!strings.Contains(rep.Markdown, "verified running on every target") {
			t.Fatalf("production must say it promoted staging's image and verified it running:\n%s", rep.Markdown)
		}
		// Nothing built: the run's steps are promote (no change when a run before promoted the same
		// digest), deploys and verify, never publish; no build ran.
		promoted := strings.Contains(rep.Markdown, "| promote | ok |") || strings.Contains(rep.Markdown, "| promote | no change |")
		if !promoted || strings.Contains(rep.Markdown, "| publish |") {
			t.Fatalf("production's steps must promote and not publish:\n%s", rep.Markdown)
		}
		if strings.Contains(out, "dockerBuild") || strings.Contains(out, "release image push") {
			t.Fatalf("production built or pushed a build:\n%s", tail(out, 60))
		}
		prod := newTwinJob(t, s.sb, s.root, job.Environment, s.commit)
		if img, want := prod.ecsImage(t, s.sb, s.root), got.Repository()+"@"+staged.Digest(); img != want {
			t.Fatalf("production ECS runs %s, want %s", img, want)
		}
		if d := prod.registryDigest(t, s.sb, s.local.Image.Repository, staged.Tag()); d != staged.Digest() {
			t.Fatalf("the production registry holds %s under %s, want %s", d, staged.Tag(), staged.Digest())
		}
	})

	// The schedule after the push: drift.yml for each twin.
	s.driftJobs(t)

}

// TestTwinCodeBuildStaging is a build of the staging CodeBuild project (issue 14, scenario 2.5) on the
// staging twin: buildspec.yml's phases as internal/workflows derives them for the project's variables.
// The project's service role's container credentials come from the twin's CodeBuild credentials
// endpoint (which checks the role's trust for this project); pre_build's apply and deploy profiles chain
// from them (credential_source EcsContainer: sts:AssumeRole into APPLY_ROLE_ARN, DEPLOY_ROLE_ARN), as
// `aws configure export-credentials --profile <step>` exports them just before each step; then the
// build phase's own apply call (on the stand-in stacks of the checkout copy, as in the push to main:
// the apply role's keys, every stack it applies has its state in the twin, no lock left), its own
// deploy call, and post_build's artifact.json.
//
// Not run: the install phase (the sandbox's Dagger CLI is the one `make dagger-cli` builds), and the
// real stacks (they need the AWS provider).
func TestTwinCodeBuildStaging(t *testing.T) {
	s := newWorkflowScenario(t)
	var ev *workflows.CodeBuildEvent
	for _, e := range s.repo.CodeBuildEvents() {
		if e.ProjectVariables["DELIVERY_ENV"] == "staging" {
			e.SourceVersion = s.commit
			ev = &e
		}
	}
	if ev == nil {
		t.Fatal("internal/workflows declares no build of the staging CodeBuild project")
	}
	job := workflows.DeriveBuildspec(s.repo.Buildspec, *ev)
	if len(job.Problems) > 0 {
		t.Fatalf("buildspec.yml for the staging project: %v", job.Problems)
	}
	call, parsed := s.call(t, job, "deploy")
	if got := parsed.ModuleFlags["commit"]; got != s.commit {
		t.Fatalf("the build's deploy call passes --commit %q, want the source version %s", got, s.commit)
	}
	decl, err := environment.LoadTwin(s.sb.Layout.StateDir, job.Environment)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := iampolicy.Load(s.root, job.Environment)
	if err != nil {
		t.Fatal(err)
	}
	service, ok := ids.Role(iampolicy.CodeBuild)
	if !ok || service.SourceARN == "" {
		t.Fatalf("%s declares no CodeBuild service role for its project", job.Environment)
	}
	applyCall, applyParsed := s.call(t, job, "apply")
	for _, c := range []*workflows.DaggerCall{&call, &applyCall} {
		role := *c.Role
		role.Region = decl.Region // CodeBuild sets AWS_REGION to the project's region
		c.Role = &role
	}

	// The build container's credentials: the project's service role, as CodeBuild assumes it.
	ctx := context.Background()
	q := url.Values{"role": {service.ARN}, "project": {service.SourceARN}}
	resp, err := http.Get(decl.CodeBuildCredentials + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	var container struct{ AccessKeyId, SecretAccessKey, Token, Code, Message string }
	err = json.NewDecoder(resp.Body).Decode(&container)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || container.AccessKeyId == "" {
		t.Fatalf("the container credentials of %s for %s: %d %s %s (%v)", service.ARN, service.SourceARN, resp.StatusCode, container.Code, container.Message, err)
	}
	// Each step's profile: role_arn <STEP>_ROLE_ARN, credential_source EcsContainer, exported just before
	// the step (aws configure export-credentials).
	cfg := twin.Config(s.sb.AWSEndpoint, decl.Region, aws.Credentials{AccessKeyID: container.AccessKeyId, SecretAccessKey: container.SecretAccessKey, SessionToken: container.Token})
	profile := func(role *workflows.RoleUse) aws.Credentials {
		out, err := sts.NewFromConfig(cfg).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(role.ARN), RoleSessionName: aws.String("botocore-session-codebuild")})
		if err != nil {
			t.Fatalf("%s (profile of %s) chained from the build's container role %s: %v", role.ARN, role.Variable, service.ARN, err)
		}
		return aws.Credentials{AccessKeyID: aws.ToString(out.Credentials.AccessKeyId), SecretAccessKey: aws.ToString(out.Credentials.SecretAccessKey),
			SessionToken: aws.ToString(out.Credentials.SessionToken)}
	}

	// The build phase's first step: the apply of the stand-in stacks (no PLAN_BUNDLE: staging applies
	// what it plans) with the apply profile's keys.
	s.applyCall(t, job, applyCall, applyParsed, nil, func() aws.Credentials { return profile(applyCall.Role) })

	rep, _ := s.run(t, job, call, parsed, profile(call.Role))
	art := reportArtifact(t, job.Name(), rep)
	if art.Tag() == "" || !strings.HasPrefix(s.commit, art.Tag()) {
		t.Fatalf("the build deployed commit %s, want the source version %s", art.Tag(), s.commit)
	}
	if !strings.Contains(rep.Markdown, "verified running on every target") {
		t.Errorf("the build's summary must say the digest was verified on every target:\n%s", rep.Markdown)
	}
	stg := newTwinJob(t, s.sb, s.root, job.Environment, s.commit)
	if img, want := stg.ecsImage(t, s.sb, s.root), decl.ECRHost+"/"+s.local.Image.Repository+"@"+art.Digest(); img != want {
		t.Fatalf("staging ECS runs %s, want %s", img, want)
	}
}

// TestWorkflowPullRequestLint is pr.yml's lint job (issue 14, scenario 2.1's first job) as
// internal/workflows derives it for a pull request to main: a job with no credentials (no role, no
// id-token) whose steps pin the Dagger version from dagger.json and run its own `dagger call lint`.
// The test runs the version step's script as GitHub does (its output must be the sandbox's CLI
// version), then the job's own call words with no AWS or Kubernetes setting at all (only the sandbox's
// local base images added), and asserts each check the lint runs: the stack conventions and graph of
// the environment's real stacks (0 errors), terraform fmt of stacks/, modules/ and environments/, and
// the Helm chart with the environment's values.
func TestWorkflowPullRequestLint(t *testing.T) {
	sb := sandboxtest.Env(t)
	requireDagger(t, sb)
	src := repoRoot(t)
	repo, err := workflows.LoadRepository(src, src)
	if err != nil {
		t.Fatal(err)
	}
	local, err := environment.Load(src, "local")
	if err != nil {
		t.Fatal(err)
	}
	var job *workflows.JobRun
	for _, ev := range repo.Events() {
		if ev.Name != "pull_request" {
			continue
		}
		for _, j := range workflows.Derive(repo.Workflows, ev) {
			if j.Name() == "pr/lint" && j.Runs {
				j := j
				job = &j
			}
		}
	}
	if job == nil {
		t.Fatal("a pull request to main runs no job pr/lint")
	}
	if len(job.Roles) > 0 || job.Permissions.Scopes["id-token"] != "" {
		t.Fatalf("pr/lint assumes %+v with id-token %q: the lint job must run without cloud credentials", job.Roles, job.Permissions.Scopes["id-token"])
	}

	// Step "Dagger version (pinned once, in dagger.json)", run as GitHub runs a run: step.
	var pinned string
	for _, st := range job.Steps {
		if st.ID != "dagger" || st.Run == "" {
			continue
		}
		output := filepath.Join(t.TempDir(), "github-output")
		cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", st.Run)
		cmd.Dir, cmd.Env = src, []string{"PATH=" + os.Getenv("PATH"), "GITHUB_OUTPUT=" + output}
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("pr/lint: step %q: %v\n%s", st.Label(), err, out)
		}
		raw, err := os.ReadFile(output)
		if err != nil {
			t.Fatal(err)
		}
		pinned = strings.TrimPrefix(strings.TrimSpace(string(raw)), "version=")
	}
	if pinned == "" {
		t.Fatal("pr/lint has no step with id dagger that writes the version to GITHUB_OUTPUT")
	}
	version, err := exec.Command(sb.Vars[sandbox.EnvDaggerCLI], "version").Output()
	if err != nil {
		t.Fatalf("dagger version: %v", err)
	}
	if !strings.Contains(string(version), "v"+pinned+" ") {
		t.Fatalf("pr/lint installs Dagger %s, the sandbox's CLI (the engine the calls run on) is %s", pinned, strings.TrimSpace(string(version)))
	}

	var call *workflows.DaggerCall
	var parsed workflows.Call
	for _, c := range job.Calls {
		if p, err := repo.Module.ParseCall(c.Args); err == nil && p.Functions() == "lint" {
			c := c
			call, parsed = &c, p
		}
	}
	if call == nil || call.Role != nil {
		t.Fatalf("pr/lint has no `dagger call … lint` run without a role that the module accepts: %+v", job.Calls)
	}
	env, _ := parsed.Flag("env")
	decl, err := environment.Load(src, env)
	if err != nil {
		t.Fatalf("pr/lint lints --env %q: %v", env, err)
	}
	args := append([]string{"call", "--progress=plain",
		"--go-image", local.Images.Go, "--tools-image", local.Images.Tools, "--terraform-image", local.Images.Terraform}, call.Args...)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	cmd := daggerCmd(ctx, sb, src, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err = cmd.Run()
	t.Logf("pr/lint, step %q: dagger %s: %s (%v)", call.Step, strings.Join(call.Args, " "), time.Since(start).Round(time.Second), err)
	if err != nil {
		t.Fatalf("pr/lint's call: %v\n%s", err, tail(out.String(), 60))
	}
	report := out.String()
	for _, want := range []string{
		"$ stacks lint --root /src --env " + env,
		"0 errors",
		"$ " + decl.Terraform.Binary + " fmt -check -recursive -diff /src/stacks",
		"$ " + decl.Terraform.Binary + " fmt -check -recursive -diff /src/modules",
		"$ " + decl.Terraform.Binary + " fmt -check -recursive -diff /src/environments",
		"$ release chart lint --env " + env,
		"chart " + decl.EKS.Chart + " lints and renders with " + strings.Join(decl.EKS.ValuesFiles, ", "),
	} {
		if !strings.Contains(report, want) {
			t.Errorf("pr/lint's report lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(tail(report, 60))
	}
}
