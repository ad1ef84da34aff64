package iampolicy

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"
)

func load(t *testing.T, root, env string) *Identities {
	t.Helper()
	ids, err := Load(root, env)
	if err != nil {
		t.Fatalf("Load(%s): %v", env, err)
	}
	return ids
}

func actions(t *testing.T, d Document, effect string) []string {
	t.Helper()
	sts, err := d.Statements()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, s := range sts {
		if s.Effect == effect {
			out = append(out, s.Action...)
		}
	}
	return out
}

func TestRealEnvironmentsDeclareOneRolePerPurpose(t *testing.T) {
	for _, env := range []string{"development", "staging", "production"} {
		t.Run(env, func(t *testing.T) {
			ids := load(t, repoRoot(t), env)
			var purposes []Purpose
			for _, r := range ids.Roles {
				purposes = append(purposes, r.Purpose)
				if want := "demo-" + env + "-ci-" + string(r.Purpose); r.Name != want {
					t.Errorf("role %s, want %s", r.Name, want)
				}
				if !strings.HasPrefix(r.ARN, "arn:aws:iam::"+ids.AccountID+":role/") {
					t.Errorf("role %s is outside account %s", r.ARN, ids.AccountID)
				}
				for _, p := range append([]Policy{{Name: "trust", Document: r.Trust}}, r.Policies...) {
					if _, err := p.Document.Statements(); err != nil {
						t.Errorf("%s %s: %v", r.Name, p.Name, err)
					}
				}
			}
			want := []Purpose{Plan, Drift, Apply, Deploy, CodeBuild}
			if env == "development" { // development's workflows run drift only (github_role_purposes)
				want = []Purpose{Drift, Apply, Deploy, CodeBuild}
			}
			if !slices.Equal(purposes, want) {
				t.Fatalf("purposes %v, want %v", purposes, want)
			}
			cb, _ := ids.Role(CodeBuild)
			if cb.SourceARN != "arn:aws:codebuild:ap-southeast-2:"+ids.AccountID+":project/demo-"+env+"-pipeline" || !strings.Contains(string(cb.Trust), `"aws:SourceArn":"`+cb.SourceARN+`"`) {
				t.Errorf("codebuild trust is not pinned to its project: %s", cb.Trust)
			}
			plan, _ := ids.Role(Drift)
			if !slices.Equal(plan.ManagedPolicyARNs, []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"}) {
				t.Errorf("plan managed policies %v", plan.ManagedPolicyARNs)
			}
			for _, secret := range []string{"secretsmanager:GetSecretValue", "kms:Decrypt", "ssm:GetParameter", "s3:GetObject"} {
				if !slices.Contains(actions(t, plan.Policies[0].Document, "Deny"), secret) {
					t.Errorf("plan role does not deny %s", secret)
				}
			}
			deploy, _ := ids.Role(Deploy)
			allowed := actions(t, deploy.Policies[0].Document, "Allow")
			for _, need := range []string{"ecr:PutImage", "ecs:RegisterTaskDefinition", "ecs:UpdateService", "ecs:DescribeServices", "eks:DescribeCluster", "iam:PassRole"} {
				if !slices.Contains(allowed, need) {
					t.Errorf("deploy role lacks %s", need)
				}
			}
			if len(ids.AccessEntries) != len(want)-2 || ids.AccessEntries[0].PrincipalARN != deploy.ARN || ids.AccessEntries[0].Policy != "AmazonEKSEditPolicy" ||
				!slices.Equal(ids.AccessEntries[0].Namespaces, []string{"demo"}) || !slices.Equal(ids.AccessEntries[0].KubernetesGroups, []string{DeployerGroup}) {
				t.Errorf("access entries %+v", ids.AccessEntries)
			}
		})
	}
}

// Each GitHub environment's subject is trusted by exactly the roles of its jobs, and the subjects of
// jobs without an environment by none.
func TestSubjectsMapToExactlyTheirRoles(t *testing.T) {
	ids := load(t, repoRoot(t), "staging")
	want := map[string][]Purpose{
		"repo:platformteam/delivery:environment:staging":         {Apply, Deploy},
		"repo:platformteam/delivery:environment:staging-plan":    {Plan},
		"repo:platformteam/delivery:environment:staging-drift":   {Drift},
		"repo:platformteam/delivery:environment:production":      nil,
		"repo:platformteam/delivery:environment:production-plan": nil,
		"repo:platformteam/delivery:pull_request":                nil,
		"repo:platformteam/delivery:ref:refs/heads/main":         nil,
	}
	for sub, purposes := range want {
		var got []Purpose
		for _, r := range ids.RolesForSubject(sub) {
			got = append(got, r.Purpose)
		}
		if !slices.Equal(got, purposes) {
			t.Errorf("%s assumes %v, want %v", sub, got, purposes)
		}
	}
	if len(ids.GitHubEnvironments) != 3 {
		t.Fatalf("github environments %+v", ids.GitHubEnvironments)
	}
	for _, g := range ids.GitHubEnvironments {
		for _, r := range ids.RolesForSubject(g.Subject) {
			if g.Variables[RoleVariable(r.Purpose)] != r.ARN {
				t.Errorf("%s: variable %s = %q, want %s", g.Name, RoleVariable(r.Purpose), g.Variables[RoleVariable(r.Purpose)], r.ARN)
			}
		}
		if g.MainOnly != (g.Name != "staging-plan") {
			t.Errorf("%s main_only %v", g.Name, g.MainOnly)
		}
	}
}

// Production promotes staging's image: its deploy role may pull staging's repository, and staging's
// repository policy lets exactly production's deploy role in.
func TestPromotionPullIsDeclaredOnBothSides(t *testing.T) {
	staging, production := load(t, repoRoot(t), "staging"), load(t, repoRoot(t), "production")
	deploy, _ := production.Role(Deploy)
	sts, err := deploy.Policies[0].Document.Statements()
	if err != nil {
		t.Fatal(err)
	}
	repo := "arn:aws:ecr:" + staging.Region + ":" + staging.AccountID + ":repository/demo-app"
	found := false
	for _, s := range sts {
		found = found || (slices.Contains(s.Resource, repo) && slices.Contains(s.Action, "ecr:BatchGetImage"))
	}
	if !found {
		t.Errorf("production deploy role cannot pull %s:\n%s", repo, deploy.Policies[0].Document)
	}
	if len(staging.RepositoryPolicies) != 1 {
		t.Fatalf("staging repository policies: %+v", staging.RepositoryPolicies)
	}
	rp := staging.RepositoryPolicies[0]
	if rp.Repository != "demo-app" || !slices.Equal(rp.PrincipalARNs, []string{deploy.ARN}) {
		t.Errorf("repository policy %+v, want demo-app pulled by %s", rp, deploy.ARN)
	}
	sts, err = rp.Document.Statements()
	if err != nil {
		t.Fatal(err)
	}
	if got := sts[0].Principal["AWS"]; !slices.Equal(got, []string{"arn:aws:iam::" + production.AccountID + ":root"}) {
		t.Errorf("principal %v", got)
	}
	if len(production.RepositoryPolicies) != 0 {
		t.Errorf("nobody pulls from production, got %+v", production.RepositoryPolicies)
	}
}

// A test can render the identities of a modified copy of the repository: the sandbox's negative test
// removes one action from the deploy role's template and expects AccessDenied naming it.
func TestCopyRendersTheCopy(t *testing.T) {
	copyRoot := t.TempDir()
	if err := CopySources(repoRoot(t), copyRoot); err != nil {
		t.Fatal(err)
	}
	tpl := filepath.Join(copyRoot, filepath.FromSlash(TemplateDeploy))
	raw, err := os.ReadFile(tpl)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(raw), `, "ecs:UpdateService"]`, `]`, 1)
	if edited == string(raw) {
		t.Fatal("the deploy template no longer lists ecs:UpdateService as this test expects")
	}
	if err := os.WriteFile(tpl, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	orig, _ := load(t, repoRoot(t), "staging").Role(Deploy)
	changed, _ := load(t, copyRoot, "staging").Role(Deploy)
	if !slices.Contains(actions(t, orig.Policies[0].Document, "Allow"), "ecs:UpdateService") {
		t.Fatal("the repository's deploy role lacks ecs:UpdateService")
	}
	if slices.Contains(actions(t, changed.Policies[0].Document, "Allow"), "ecs:UpdateService") {
		t.Error("the copy's deploy role still allows ecs:UpdateService")
	}
}

func TestDisagreeingAccountIsAnError(t *testing.T) {
	copyRoot := t.TempDir()
	if err := CopySources(repoRoot(t), copyRoot); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(copyRoot, "environments", "staging", "tags.tfvars")
	raw, _ := os.ReadFile(p)
	if err := os.WriteFile(p, []byte(strings.Replace(string(raw), `"222222222222"`, `"999999999999"`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(copyRoot, "staging")
	if err == nil || !strings.Contains(err.Error(), "999999999999") || !strings.Contains(err.Error(), "222222222222") {
		t.Errorf("want an error naming both accounts, got %v", err)
	}
}

func TestRenderRefusesWhatTemplatefileRefuses(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return name
	}
	if _, err := Render(dir, write("a.tftpl", "${x}-${y}"), map[string]cty.Value{"x": cty.StringVal("1")}); err == nil || !strings.Contains(err.Error(), `"y"`) {
		t.Errorf("missing variable: %v", err)
	}
	if _, err := Render(dir, write("b.tftpl", "${file(x)}"), map[string]cty.Value{"x": cty.StringVal("1")}); err == nil || !strings.Contains(err.Error(), "file") {
		t.Errorf("unknown function: %v", err)
	}
	if _, err := Render(dir, "a.tftpl", map[string]cty.Value{"x": cty.StringVal("1"), "y": cty.StringVal("2"), "not valid": cty.True}); err == nil || !strings.Contains(err.Error(), "not valid") {
		t.Errorf("invalid name: %v", err)
	}
	got, err := Render(dir, "a.tftpl", map[string]cty.Value{"x": cty.StringVal("1"), "y": cty.StringVal("2")})
	if err != nil || got != "1-2" {
		t.Errorf("render: %q %v", got, err)
	}
	tpl, err := ParseTemplate(dir, "a.tftpl")
	if err != nil || !slices.Equal(tpl.Variables(), []string{"x", "y"}) {
		t.Errorf("variables: %v %v", tpl.Variables(), err)
	}
}
