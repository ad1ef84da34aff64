package workflows

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const repoRoot = "../.."

func loadReal(t *testing.T) *Repository {
	t.Helper()
	r, err := LoadRepository(repoRoot, repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// The repository's own workflows and buildspec pass every check.
func TestRepositoryWorkflowsPassEveryCheck(t *testing.T) {
	r := loadReal(t)
	for _, f := range r.Check() {
		t.Errorf("%s", f)
	}
}

func findRun(t *testing.T, runs []JobRun, name string) JobRun {
	t.Helper()
	for _, r := range runs {
		if r.Name() == name {
			return r
		}
	}
	var names []string
	for _, r := range runs {
		names = append(names, r.Name())
	}
	t.Fatalf("no job %s among %v", name, names)
	return JobRun{}
}

func eventNamed(t *testing.T, r *Repository, name string) Event {
	t.Helper()
	for _, ev := range r.Events() {
		if ev.Name == name {
			return ev
		}
	}
	t.Fatalf("no declared event %s", name)
	return Event{}
}

// What each job of the real workflows does, derived for the declared events.
func TestDeriveRealWorkflows(t *testing.T) {
	r := loadReal(t)
	repo := r.GitHubRepository
	pr := Derive(r.Workflows, eventNamed(t, r, "pull_request"))
	var prJobs []string
	for _, j := range pr {
		prJobs = append(prJobs, j.Name())
	}
	if want := []string{"pr/lint", "pr/plan (staging)", "pr/plan (production)", "pr/comment (staging)", "pr/comment (production)"}; !reflect.DeepEqual(prJobs, want) {
		t.Fatalf("pull request jobs %v, want %v", prJobs, want)
	}
	plan := findRun(t, pr, "pr/plan (production)")
	if plan.Environment != "production-plan" || plan.Subject != "repo:"+repo+":environment:production-plan" {
		t.Errorf("plan (production): environment %q subject %q", plan.Environment, plan.Subject)
	}
	if len(plan.Roles) != 1 || plan.Roles[0].Variable != "AWS_PLAN_ROLE_ARN" || !strings.HasSuffix(plan.Roles[0].ARN, ":role/"+r.Accounts["production"].Roles[0].Name) {
		t.Errorf("plan (production) roles %+v", plan.Roles)
	}
	if len(plan.Calls) != 1 {
		t.Fatalf("plan (production) calls %+v", plan.Calls)
	}
	call, err := r.Module.ParseCall(plan.Calls[0].Args)
	if err != nil {
		t.Fatal(err)
	}
	if call.Functions() != "plan export" || call.Chain[0].Flags["env"] != "production" || call.Chain[0].Flags["changed-files"] != "changed-files.txt" || call.Chain[1].Flags["path"] != "out/plan" {
		t.Errorf("plan (production) call %+v", call)
	}
	if got := plan.Uploads; len(got) != 1 || got[0].Name != "plan-production" || got[0].Path != "out/plan/summary.md" {
		t.Errorf("plan (production) uploads %+v", got)
	}
	comment := findRun(t, pr, "pr/comment (staging)")
	if comment.Subject != "repo:"+repo+":pull_request" || len(comment.Roles) != 0 || len(comment.Downloads) != 1 || comment.Downloads[0].Name != "plan-staging" {
		t.Errorf("comment (staging): %+v", comment)
	}

	push := Derive(r.Workflows, eventNamed(t, r, "push"))
	staging := findRun(t, push, "deploy/staging")
	if staging.Subject != "repo:"+repo+":environment:staging" || len(staging.Roles) != 2 ||
		staging.Roles[0].Variable != "AWS_APPLY_ROLE_ARN" || staging.Roles[1].Variable != "AWS_DEPLOY_ROLE_ARN" {
		t.Errorf("deploy/staging: subject %s roles %+v", staging.Subject, staging.Roles)
	}
	if len(staging.Calls) != 2 || staging.Calls[1].Role == nil || staging.Calls[1].Role.Variable != "AWS_DEPLOY_ROLE_ARN" {
		t.Fatalf("deploy/staging calls %+v", staging.Calls)
	}
	if c, err := r.Module.ParseCall(staging.Calls[0].Args); err != nil || c.ModuleFlags["commit"] != ExampleSHA || c.Output != "out/apply/report.json" {
		t.Errorf("deploy/staging apply call %+v %v", c, err)
	}
	if c, err := r.Module.ParseCall(staging.Calls[1].Args); err != nil || c.ModuleFlags["lock-owner"] != "github run https://github.com/"+repo+"/actions/runs/"+ExampleRunID+" ("+ExampleActor+")" {
		t.Errorf("deploy/staging deploy call does not name the run as the deploy lock's owner: %+v %v", c, err)
	}
	prod := findRun(t, push, "deploy/production")
	c, err := r.Module.ParseCall(prod.Calls[0].Args) // behind `stacks guard --`
	if err != nil || c.Functions() != "apply" || c.Chain[0].Flags["bundle"] != "out/plan" {
		t.Errorf("deploy/production apply %+v %v", c, err)
	}
	if _, ok := c.Chain[0].Flags["approve"]; !ok {
		t.Errorf("deploy/production apply lacks --approve: %+v", c)
	}
	bundle := false
	for _, d := range prod.Downloads {
		bundle = bundle || d.Name == "plan-production-"+ExampleSHA && d.Path == "out/plan"
	}
	if !bundle {
		t.Errorf("deploy/production does not download the reviewed plan bundle: %+v", prod.Downloads)
	}

	sched := Derive(r.Workflows, eventNamed(t, r, "schedule"))
	if len(sched) != 3 || findRun(t, sched, "drift/drift (development)").Subject != "repo:"+repo+":environment:development-drift" {
		t.Errorf("schedule jobs %+v", sched)
	}

	// A manual run from another branch skips every deploy and drift job.
	other := eventNamed(t, r, "workflow_dispatch")
	other.Ref = "refs/heads/feature"
	for _, j := range Derive(r.Workflows, other) {
		if j.Runs {
			t.Errorf("%s runs on workflow_dispatch from %s", j.Name(), other.Ref)
		}
	}
}

func TestDeriveBuildspec(t *testing.T) {
	r := loadReal(t)
	evs := r.CodeBuildEvents()
	if len(evs) != 3 {
		t.Fatalf("codebuild events %+v", evs)
	}
	run := DeriveBuildspec(r.Buildspec, evs[1]) // production, sorted
	if run.Environment != "production" || len(run.Problems) != 0 {
		t.Fatalf("buildspec run %+v", run)
	}
	if len(run.Calls) != 2 || run.Calls[0].Role.Variable != "APPLY_ROLE_ARN" || run.Calls[1].Role.Variable != "DEPLOY_ROLE_ARN" {
		t.Fatalf("buildspec calls %+v", run.Calls)
	}
	c, err := r.Module.ParseCall(run.Calls[0].Args)
	if err != nil || c.Chain[0].Flags["env"] != "production" || c.ModuleFlags["commit"] != ExampleSHA {
		t.Errorf("apply call %+v %v", c, err)
	}
	if d, err := r.Module.ParseCall(run.Calls[1].Args); err != nil || d.ModuleFlags["lock-owner"] != "codebuild "+ExampleBuildID {
		t.Errorf("deploy call does not name the build as the deploy lock's owner: %+v %v", d, err)
	}
	if _, ok := c.Chain[0].Flags["bundle"]; ok {
		t.Errorf("without PLAN_BUNDLE the apply has no --bundle: %q", run.Calls[0].Args)
	}
	ev := evs[1]
	ev.ProjectVariables["PLAN_BUNDLE"] = "out/plan"
	run = DeriveBuildspec(r.Buildspec, ev)
	c, err = r.Module.ParseCall(run.Calls[0].Args)
	if _, approve := c.Chain[0].Flags["approve"]; err != nil || c.Chain[0].Flags["bundle"] != "out/plan" || !approve {
		t.Errorf("with PLAN_BUNDLE: %q → %+v %v", run.Calls[0].Args, c, err)
	}
}

// mutated copies the workflows and the buildspec into a temporary root, applies one edit to one file
// (old must occur exactly once) and runs every check of the copy against the real repository.
func mutated(t *testing.T, file, old, new string) []Finding {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{".github/workflows/pr.yml", ".github/workflows/deploy.yml", ".github/workflows/drift.yml", BuildspecFile} {
		data, err := os.ReadFile(filepath.Join(repoRoot, f))
		if err != nil {
			t.Fatal(err)
		}
		if f == file {
			if n := strings.Count(string(data), old); n != 1 {
				t.Fatalf("%s holds %q %d times: the mutation needs it once", f, old, n)
			}
			data = []byte(strings.Replace(string(data), old, new, 1))
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r, err := LoadRepository(repoRoot, dir)
	if err != nil {
		t.Fatal(err)
	}
	return r.Check()
}

// A workflow edit that breaks the real path fails the checks, naming the job.
func TestMutatedWorkflowsFailNamingTheJob(t *testing.T) {
	cases := []struct {
		name, file, old, new string
		job, message         string
	}{
		{"drop the environment of the staging deploy", ".github/workflows/deploy.yml",
			"    environment: staging\n", "",
			"deploy/staging", "vars.AWS_APPLY_ROLE_ARN }} has no value in the repository's variables"},
		{"a wrong flag", ".github/workflows/pr.yml",
			"--changed-files changed-files.txt", "--changed-file changed-files.txt",
			"pr/plan (staging)", "plan has no flag --changed-file"},
		{"a function that does not exist", ".github/workflows/drift.yml",
			"drift --env ${{ matrix.env }}", "drifts --env ${{ matrix.env }}",
			"drift/drift (production)", `Delivery has no function "drifts"`},
		{"a required flag dropped", ".github/workflows/deploy.yml",
			"apply --env production --bundle", "apply --bundle",
			"deploy/production", "apply needs --env"},
		{"one environment's credentials for another's plan", ".github/workflows/pr.yml",
			"plan --env ${{ matrix.env }}", "plan --env staging",
			"pr/plan (production)", "--env staging with the credentials of demo-production-ci-plan"},
		{"no such environment", ".github/workflows/pr.yml",
			"args: lint --env staging", "args: lint --env stagin",
			"pr/lint", `--env "stagin": no such environment`},
		{"the plan job declares the environment of the apply role", ".github/workflows/pr.yml",
			"environment: ${{ matrix.env }}-plan", "environment: ${{ matrix.env }}",
			"pr/plan (staging)", "vars.AWS_PLAN_ROLE_ARN }} has no value in the GitHub environment staging"},
		{"the comment job downloads what nobody uploads", ".github/workflows/pr.yml",
			"name: plan-${{ matrix.env }}\n          path: out/plan/summary.md", "name: summary-${{ matrix.env }}\n          path: out/plan/summary.md",
			"pr/comment (production)", `downloads artifact "plan-production", which no job it needs uploads`},
		{"a checkout that keeps the token", ".github/workflows/drift.yml",
			"persist-credentials: false", "persist-credentials: true",
			"drift/drift", "needs `persist-credentials: false`"},
		{"write access for the plan job", ".github/workflows/pr.yml",
			"id-token: write   # OIDC to AWS for the read-only plan", "id-token: write\n      pull-requests: write",
			"pr/plan", "permission pull-requests: write is not used by the job"},
		{"an unguarded manual deploy", ".github/workflows/deploy.yml",
			"  production-plan:\n    needs: staging\n    if: github.ref == 'refs/heads/main'\n", "  production-plan:\n    needs: staging\n",
			"deploy/production-plan", "guard it with `if: github.ref == 'refs/heads/main'`"},
		{"pull_request_target", ".github/workflows/pr.yml",
			"  pull_request:\n", "  pull_request_target:\n",
			"pr", "pull_request_target runs with the repository's secrets"},
		{"the buildspec names a variable the project does not set", BuildspecFile,
			`profile.deploy.role_arn "$DEPLOY_ROLE_ARN"`, `profile.deploy.role_arn "$DEPLOY_ROLE"`,
			"buildspec/build", "DEPLOY_ROLE is not set by the project"},
		{"the buildspec calls a flag that does not exist", BuildspecFile,
			`deploy --env "$DELIVERY_ENV" --format json`, `deploy --env "$DELIVERY_ENV" --output-format json`,
			"buildspec/build", "deploy has no flag --output-format"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			findings := mutated(t, tc.file, tc.old, tc.new)
			for _, f := range findings {
				if f.Where == tc.job && strings.Contains(f.Message, tc.message) {
					t.Logf("%s", f)
					return
				}
			}
			t.Fatalf("no finding on %s containing %q; findings:\n%s", tc.job, tc.message, joinFindings(findings))
		})
	}
}

func joinFindings(fs []Finding) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString("  " + f.String() + "\n")
	}
	return b.String()
}

// The trust policies rendered from the templates refuse a subject they do not name.
func TestCheckTrustRefusesAnotherSubject(t *testing.T) {
	r := loadReal(t)
	runs := Derive(r.Workflows, eventNamed(t, r, "pull_request"))
	plan := findRun(t, runs, "pr/plan (staging)")
	if fs := CheckTrust([]JobRun{plan}, r.Accounts); len(fs) != 0 {
		t.Fatalf("the real plan job is refused: %v", fs)
	}
	for _, sub := range []string{
		"repo:" + r.GitHubRepository + ":pull_request",
		"repo:" + r.GitHubRepository + ":environment:staging",
		"repo:someone/else:environment:staging-plan",
	} {
		plan.Subject = sub
		fs := CheckTrust([]JobRun{plan}, r.Accounts)
		if len(fs) != 1 || fs[0].Where != "pr/plan (staging)" || !strings.Contains(fs[0].Message, "does not accept subject "+sub) {
			t.Errorf("subject %s: findings %v", sub, fs)
		}
	}
	// The buildspec's chain from the CodeBuild role into the step roles is evaluated too: a role of
	// another account is refused.
	build := DeriveBuildspec(r.Buildspec, r.CodeBuildEvents()[0])
	if fs := CheckTrust([]JobRun{build}, r.Accounts); len(fs) != 0 {
		t.Fatalf("the real buildspec is refused: %v", fs)
	}
	prodApply, _ := r.Accounts["production"].Role("apply")
	build.Roles[0].ARN = prodApply.ARN
	build.Trigger = "codebuild"
	fs := CheckTrust([]JobRun{build}, r.Accounts)
	if len(fs) == 0 || !strings.Contains(fs[0].Message, "does not accept the CodeBuild role") {
		t.Fatalf("a chain from development's CodeBuild role into %s was accepted: %v", prodApply.ARN, fs)
	}
}
