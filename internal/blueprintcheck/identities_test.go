package blueprintcheck

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/platformteam/delivery/internal/iampolicy"
)

// The repository passes every identity check, and the checks are not vacuous.
func TestIdentityChecksPassOnTheRepository(t *testing.T) {
	envs, err := RealEnvironments(root(t))
	if err != nil {
		t.Fatal(err)
	}
	if want := slices.Sorted(slices.Values(realEnvironments)); !slices.Equal(envs, want) {
		t.Fatalf("real environments %v, want %v", envs, realEnvironments)
	}
	checks, err := IdentityChecks(root(t), parseReal(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(checks) != 6 {
		t.Fatalf("%d identity checks", len(checks))
	}
	for _, c := range checks {
		for _, p := range c.Problems {
			t.Errorf("[%s] %s", c.Rule, p)
		}
	}
	wfs, err := ReadWorkflows(filepath.Join(root(t), WorkflowsDir))
	if err != nil {
		t.Fatal(err)
	}
	assuming := 0
	for _, wf := range wfs {
		for _, j := range wf.Jobs {
			if len(j.RoleVariables) > 0 {
				assuming++
			}
		}
	}
	if len(wfs) < 3 || assuming < 4 {
		t.Fatalf("read %d workflows with %d role-assuming jobs; the workflow check would pass vacuously", len(wfs), assuming)
	}
}

// copyRepo copies what the identity checks read (templates, environments, the iam and ecr stacks and
// modules, workflows) so a test can break one thing.
func copyRepo(t *testing.T) string {
	t.Helper()
	dst := t.TempDir()
	if err := iampolicy.CopySources(root(t), dst); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{"modules/iam", "modules/ecr", "stacks/shared/iam", "stacks/shared/ecr", WorkflowsDir} {
		copyDir(t, filepath.Join(root(t), dir), filepath.Join(dst, dir))
	}
	return dst
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		raw, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), raw, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func edit(t *testing.T, file, old, new string) {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), old) {
		t.Fatalf("%s does not contain %q", file, old)
	}
	if err := os.WriteFile(file, []byte(strings.Replace(string(raw), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestCheckRolesCatchesLooseTrustAndWritingReaders(t *testing.T) {
	repo := copyRepo(t)
	edit(t, filepath.Join(repo, iampolicy.TemplateTrustCI), "StringEquals = {", "StringLike = {")
	edit(t, filepath.Join(repo, iampolicy.TemplateReadOnly), `Action   = ["s3:GetObject"]`, `Action   = ["s3:GetObject", "s3:PutObject", "ssm:GetParameters"]`)
	edit(t, filepath.Join(repo, iampolicy.TemplateReadOnly), `        "secretsmanager:GetSecretValue",`+"\n", "")
	got := CheckRoles(repo, []string{"staging"})
	assertContains(t, got,
		"trust statement GitHubActions matches with StringLike: use StringEquals",
		"trust statement GitHubActions: aud must be exactly sts.amazonaws.com",
		"s3:PutObject writes",
		"ssm:GetParameters reads secret values or data",
		"carries ReadOnlyAccess but does not deny secretsmanager:GetSecretValue",
	)
}

func TestCheckTemplateCallsCatchesMissingAndExtraVariables(t *testing.T) {
	repo := copyRepo(t)
	main := filepath.Join(repo, "modules/iam/main.tf")
	edit(t, main, "    parameter_path   = var.parameter_path\n", "    parameter_paths  = [var.parameter_path]\n")
	edit(t, main, `templatefile("${path.module}/policies/apply.json.tftpl"`, `templatefile("${path.module}/apply.json.tftpl"`)
	dirs, err := ParseTree(repo, "modules")
	if err != nil {
		t.Fatal(err)
	}
	got := CheckTemplateCalls(repo, dirs)
	assertContains(t, got,
		`templatefile(modules/iam/policies/read-only.json.tftpl) does not pass "parameter_path"`,
		`templatefile(modules/iam/policies/read-only.json.tftpl) passes "parameter_paths", which the template does not use`,
		`templatefile(modules/iam/apply.json.tftpl): not a template of internal/iampolicy`,
		`no templatefile() in modules/iam loads modules/iam/policies/apply.json.tftpl`,
	)
	tpl := filepath.Join(repo, iampolicy.Dir, "extra.json.tftpl")
	if err := os.WriteFile(tpl, []byte(`${file("x")}`), 0o644); err != nil {
		t.Fatal(err)
	}
	edit(t, filepath.Join(repo, iampolicy.TemplateDeploy), `Effect   = "Allow"`, `Effect   = "Maybe"`)
	assertContains(t, CheckPolicyTemplates(repo),
		"modules/iam/policies/extra.json.tftpl", // not declared
		"Effect must be Allow or Deny",
	)
}

func TestCheckAccountGuardCatchesUnguardedProviders(t *testing.T) {
	dir := t.TempDir()
	stack := filepath.Join(dir, "stacks", "x")
	if err := os.MkdirAll(stack, 0o755); err != nil {
		t.Fatal(err)
	}
	src := `provider "aws" {
  region = var.region
}
provider "aws" {
  alias               = "other"
  allowed_account_ids = ["123456789012"]
}
`
	if err := os.WriteFile(filepath.Join(stack, "providers.tf"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	dirs, err := ParseTree(dir, "stacks")
	if err != nil {
		t.Fatal(err)
	}
	got := CheckAccountGuard(dirs)
	if len(got) != 3 {
		t.Errorf("want 3 problems (no variable, two providers), got:\n%s", joinProblems(got))
	}
	assertContains(t, got, `declares no variable "account_id"`, "allowed_account_ids = [var.account_id]")
}

func TestCheckEnvironmentConsistencyCatchesDisagreement(t *testing.T) {
	repo := copyRepo(t)
	edit(t, filepath.Join(repo, "environments/staging/tags.tfvars"), `account_id = "222222222222"`, `account_id = "999999999999"`)
	edit(t, filepath.Join(repo, "environments/staging/ci.tfvars"), `production = "333333333333"`, `production = "444444444444"`)
	edit(t, filepath.Join(repo, "environments/production/ci.tfvars"), `region      = "ap-southeast-2"`, `region      = "eu-west-1"`)
	edit(t, filepath.Join(repo, "stacks/shared/iam/variables.tf"), `default     = ["demo"]`, `default     = ["apps"]`)
	got := CheckEnvironmentConsistency(repo, realEnvironments)
	assertContains(t, got,
		`account_id "999999999999" differs from environments/staging/delivery.yaml account_id 222222222222`,
		`promotion_targets.production = "444444444444", but environments/production/delivery.yaml says account 333333333333`,
		`promotion_source says 222222222222/eu-west-1, but environments/staging/delivery.yaml says 222222222222/ap-southeast-2`,
		`app_namespaces is [apps] in staging, but delivery.yaml says [demo]`,
	)
}

func TestCheckWorkflowsCatchesJobsAndRolesThatDoNotMatch(t *testing.T) {
	var ids []*iampolicy.Identities
	for _, env := range realEnvironments {
		id, err := iampolicy.Load(root(t), env)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	wfs, err := ReadWorkflows(filepath.Join("testdata", "bad-workflows"))
	if err != nil {
		t.Fatal(err)
	}
	got := CheckWorkflows(wfs, ids)
	assertContains(t, got,
		"pull_request_target runs with the base repository's secrets",
		"set top-level permissions",
		"id-token: write at the top level",
		"job plan assumes AWS_PLAN_ROLE_ARN without an environment",
		"job lint has id-token: write but assumes no role",
		"job deploy (environment staging-plan, subject repo:platformteam/delivery:environment:staging-plan) assumes the deploy role, but no deploy role trusts that subject",
		"job deploy runs deploy on workflow_dispatch, which may name any branch",
		`role-to-assume "arn:aws:iam::222222222222:role/x"`,
		"job nocreds assumes a role but has no id-token: write",
		"role demo-production-ci-drift trusts repo:platformteam/delivery:environment:production-drift, but no workflow job",
	)
	for _, p := range got {
		if strings.Contains(p.Message, "job fine") {
			t.Errorf("false positive: %s", p)
		}
	}
}

func assertContains(t *testing.T, got []Problem, want ...string) {
	t.Helper()
	for _, w := range want {
		found := false
		for _, p := range got {
			found = found || strings.Contains(p.String(), w)
		}
		if !found {
			t.Errorf("no problem containing %q; got:\n%s", w, joinProblems(got))
		}
	}
}

func TestIdentityWiringMatchesTheGoDeclaration(t *testing.T) {
	for _, p := range CheckIdentityWiring(root(t), realEnvironments) {
		t.Error(p)
	}
}

func TestCheckIdentityWiringCatchesDivergence(t *testing.T) {
	repo := copyRepo(t)
	edit(t, filepath.Join(repo, "stacks/shared/iam/main.tf"), `["${var.app_name}-${var.environment}-ecs-*"]`, `["${var.app_name}-ecs-*"]`)
	edit(t, filepath.Join(repo, "stacks/shared/ecr/main.tf"), `-ci-deploy"`, `-ci-deployer"`)
	edit(t, filepath.Join(repo, "modules/iam/main.tf"), `for_each = toset([for p in local.purposes : p if contains(["plan", "drift"], p)])

  name = "read-only"`, `for_each = toset([for p in local.purposes : p if contains(["plan"], p)])

  name = "read-only"`)
	got := CheckIdentityWiring(repo, []string{"staging"})
	assertContains(t, got,
		"staging: modules/iam/policies/deploy.json.tftpl: the Terraform's inputs render a different document",
		"staging: modules/ecr/policies/pull.json.tftpl[demo-app]: the Terraform's inputs render a different document",
		"staging: internal/iampolicy declares modules/iam/policies/read-only.json.tftpl[drift], which the Terraform does not render",
	)
	if len(got) != 3 {
		t.Errorf("want exactly the 3 divergences, got:\n%s", joinProblems(got))
	}
}
