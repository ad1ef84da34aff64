package iameval

import (
	"strings"
	"testing"
)

const (
	staging    = "222222222222"
	production = "333333333333"
)

var (
	deployRole = Principal{Kind: AWSPrincipal, ID: "arn:aws:sts::222222222222:assumed-role/demo-staging-ci-deploy/gha", Account: staging}
	prodRole   = Principal{Kind: AWSPrincipal, ID: "arn:aws:sts::333333333333:assumed-role/demo-production-ci-deploy/gha", Account: production}
	adminUser  = Principal{Kind: AWSPrincipal, ID: "arn:aws:iam::222222222222:user/admin", Account: staging}
)

func identity(docs ...string) []NamedPolicy {
	var out []NamedPolicy
	for i, d := range docs {
		out = append(out, NamedPolicy{Name: "p" + string(rune('1'+i)), Policy: MustParse(d)})
	}
	return out
}

func allowed(t *testing.T, in Input) bool {
	t.Helper()
	return Authorize(in).Allowed
}

func TestParseForms(t *testing.T) {
	single := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Principal":"*"}}`
	p, err := Parse(single)
	if err != nil || len(p.Statements) != 1 || p.Statements[0].Principal["*"] == nil {
		t.Fatalf("single statement object: %v %+v", err, p)
	}
	encoded := "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22*%22%2C%22Resource%22%3A%22*%22%7D%5D%7D"
	if p, err := Parse(encoded); err != nil || p.Statements[0].Action[0] != "*" {
		t.Fatalf("URL-encoded document (as IAM's Get*Policy return it): %v", err)
	}
	cond := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":false},"NumericLessThan":{"s3:max-keys":10}}}]}`
	p, err = Parse(cond)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range p.Statements[0].Conditions {
		if c.Values[0] != "false" && c.Values[0] != "10" {
			t.Errorf("non-string condition values become strings: %+v", c)
		}
	}
	for name, bad := range map[string]string{
		"no effect":              `{"Statement":[{"Action":"*","Resource":"*"}]}`,
		"action and not action":  `{"Statement":[{"Effect":"Allow","Action":"*","NotAction":"s3:*","Resource":"*"}]}`,
		"unknown operator":       `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringSorta":{"a":"b"}}}]}`,
		"principal string not *": `{"Statement":[{"Effect":"Allow","Action":"*","Principal":"arn:aws:iam::1:root"}]}`,
		"no statement":           `{"Version":"2012-10-17"}`,
	} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestActionAndResourceMatching(t *testing.T) {
	policy := identity(`{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":["ecs:Describe*","ECS:updateservice"],"Resource":"arn:aws:ecs:*:222222222222:service/demo-staging/*"},
		{"Effect":"Allow","Action":"ecs:RegisterTaskDefinition","Resource":"*"},
		{"Effect":"Allow","Action":"ecr:GetAuthorizationToken","Resource":"arn:aws:ecr:ap-southeast-2:222222222222:repository/demo-app"},
		{"Effect":"Allow","Action":"logs:PutLogEvents","Resource":"arn:aws:logs:ap-southeast-2:222222222222:log-group:/aws/codebuild/demo-*:*"},
		{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::tf-state/staging/*"},
		{"Effect":"Allow","Action":"ssm:GetParameter?","Resource":"arn:aws:ssm:ap-southeast-2:222222222222:parameter/demo-app/staging/*"}
	]}`)
	svc := "arn:aws:ecs:ap-southeast-2:222222222222:service/demo-staging/demo-app"
	cases := []struct {
		action, resource string
		want             bool
	}{
		{"ecs:DescribeServices", svc, true},
		{"ecs:UpdateService", svc, true}, // actions are case-insensitive
		{"ecs:UpdateService", "arn:aws:ecs:ap-southeast-2:222222222222:service/demo-production/demo-app", false},
		{"ecs:UpdateService", "arn:aws:ecs:ap-southeast-2:333333333333:service/demo-staging/demo-app", false},
		{"ecs:DeleteService", svc, false},
		{"ecs:RegisterTaskDefinition", "*", true},
		// GetAuthorizationToken has no resource-level permissions: only Resource "*" grants it.
		{"ecr:GetAuthorizationToken", "*", false},
		{"logs:PutLogEvents", "arn:aws:logs:ap-southeast-2:222222222222:log-group:/aws/codebuild/demo-build:log-stream:x", true},
		{"s3:GetObject", "arn:aws:s3:::tf-state/staging/vpc/terraform.tfstate", true},
		{"s3:GetObject", "arn:aws:s3:::tf-state/production/vpc/terraform.tfstate", false},
		{"s3:GetObject", "arn:aws:s3:::tf-state", false},
		{"ssm:GetParameters", "arn:aws:ssm:ap-southeast-2:222222222222:parameter/demo-app/staging/app-auth-token", true},
		{"ssm:GetParametersByPath", "arn:aws:ssm:ap-southeast-2:222222222222:parameter/demo-app/staging/x", false}, // ? is one character
	}
	for _, tc := range cases {
		got := allowed(t, Input{Request: Request{Principal: deployRole, Action: tc.action, Resource: tc.resource}, Identity: policy})
		if got != tc.want {
			t.Errorf("%s on %s: allowed=%v, want %v", tc.action, tc.resource, got, tc.want)
		}
	}
}

func TestNotActionNotResourceAndExplicitDeny(t *testing.T) {
	policy := identity(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}]}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","NotResource":["arn:aws:s3:::artifacts","arn:aws:s3:::artifacts/*"]}]}`,
	)
	check := func(action, resource string, want bool) {
		t.Helper()
		d := Authorize(Input{Request: Request{Principal: adminUser, Action: action, Resource: resource}, Identity: policy})
		if d.Allowed != want {
			t.Errorf("%s on %s: %+v, want allowed=%v", action, resource, d, want)
		}
	}
	check("ecs:ListClusters", "*", true)
	check("iam:CreateUser", "arn:aws:iam::222222222222:user/x", false)
	check("s3:GetObject", "arn:aws:s3:::artifacts/a.json", true)
	check("s3:GetObject", "arn:aws:s3:::tf-state/a", false) // the deny wins over NotAction's allow
	d := Authorize(Input{Request: Request{Principal: adminUser, Action: "s3:PutObject", Resource: "arn:aws:s3:::other/x"}, Identity: policy})
	if !strings.Contains(d.Reason, "explicit deny in an identity-based policy") || d.DenyingPolicy != "p2" {
		t.Errorf("explicit deny reason: %+v", d)
	}
	d = Authorize(Input{Request: Request{Principal: adminUser, Action: "iam:CreateRole", Resource: "arn:aws:iam::222222222222:role/x"}, Identity: policy})
	msg := d.Message(Request{Principal: adminUser, Action: "iam:CreateRole", Resource: "arn:aws:iam::222222222222:role/x"})
	want := "User: arn:aws:iam::222222222222:user/admin is not authorized to perform: iam:CreateRole on resource: arn:aws:iam::222222222222:role/x because no identity-based policy allows the iam:CreateRole action"
	if msg != want {
		t.Errorf("message:\n got %s\nwant %s", msg, want)
	}
}

func TestConditionOperators(t *testing.T) {
	type kv = map[string][]string
	cases := []struct {
		name string
		cond string
		ctx  kv
		want bool
	}{
		{"StringEquals matches", `{"StringEquals":{"iam:PassedToService":"ecs-tasks.amazonaws.com"}}`, kv{"iam:PassedToService": {"ecs-tasks.amazonaws.com"}}, true},
		{"StringEquals other value", `{"StringEquals":{"iam:PassedToService":"ecs-tasks.amazonaws.com"}}`, kv{"iam:PassedToService": {"lambda.amazonaws.com"}}, false},
		{"StringEquals key absent is false", `{"StringEquals":{"iam:PassedToService":"ecs-tasks.amazonaws.com"}}`, kv{}, false},
		{"keys are case-insensitive", `{"StringEquals":{"IAM:passedtoservice":"ecs-tasks.amazonaws.com"}}`, kv{"iam:PassedToService": {"ecs-tasks.amazonaws.com"}}, true},
		{"values are case-sensitive", `{"StringEquals":{"iam:PassedToService":"ECS-tasks.amazonaws.com"}}`, kv{"iam:PassedToService": {"ecs-tasks.amazonaws.com"}}, false},
		{"StringEqualsIgnoreCase", `{"StringEqualsIgnoreCase":{"aws:username":"ADMIN"}}`, kv{"aws:username": {"admin"}}, true},
		{"StringNotEquals key absent is true", `{"StringNotEquals":{"aws:SourceAccount":"222222222222"}}`, kv{}, true},
		{"StringNotEquals matching value", `{"StringNotEquals":{"aws:SourceAccount":["111111111111","222222222222"]}}`, kv{"aws:SourceAccount": {"222222222222"}}, false},
		{"StringLike values are ORed", `{"StringLike":{"t:sub":["repo:o/r:environment:staging","repo:o/r:ref:refs/heads/*"]}}`, kv{"t:sub": {"repo:o/r:ref:refs/heads/main"}}, true},
		{"StringLike ? is one character", `{"StringLike":{"s3:prefix":"staging/?"}}`, kv{"s3:prefix": {"staging/ab"}}, false},
		{"StringNotLike", `{"StringNotLike":{"t:sub":"repo:o/r:pull_request"}}`, kv{"t:sub": {"repo:o/r:environment:staging"}}, true},
		{"keys are ANDed", `{"StringEquals":{"t:aud":"sts.amazonaws.com","t:sub":"repo:o/r:environment:staging"}}`, kv{"t:aud": {"sts.amazonaws.com"}, "t:sub": {"repo:o/r:pull_request"}}, false},
		{"IfExists absent is true", `{"StringEqualsIfExists":{"ecs:cluster":"arn:aws:ecs:r:1:cluster/c"}}`, kv{}, true},
		{"IfExists present is checked", `{"StringEqualsIfExists":{"ecs:cluster":"arn:aws:ecs:r:1:cluster/c"}}`, kv{"ecs:cluster": {"arn:aws:ecs:r:1:cluster/d"}}, false},
		{"Null true means absent", `{"Null":{"aws:TokenIssueTime":"true"}}`, kv{}, true},
		{"Null false means present", `{"Null":{"aws:TokenIssueTime":"false"}}`, kv{}, false},
		{"Bool", `{"Bool":{"aws:SecureTransport":"false"}}`, kv{"aws:SecureTransport": {"false"}}, true},
		{"NumericLessThanEquals", `{"NumericLessThanEquals":{"s3:max-keys":"10"}}`, kv{"s3:max-keys": {"10"}}, true},
		{"NumericGreaterThan", `{"NumericGreaterThan":{"s3:max-keys":"10"}}`, kv{"s3:max-keys": {"10"}}, false},
		{"DateLessThan", `{"DateLessThan":{"aws:CurrentTime":"2027-01-01T00:00:00Z"}}`, kv{"aws:CurrentTime": {"2026-11-30T10:00:00Z"}}, true},
		{"DateGreaterThan epoch", `{"DateGreaterThan":{"aws:EpochTime":"1800000000"}}`, kv{"aws:EpochTime": {"1700000000"}}, false},
		{"IpAddress", `{"IpAddress":{"aws:SourceIp":"127.0.0.0/8"}}`, kv{"aws:SourceIp": {"127.0.0.1"}}, true},
		{"NotIpAddress", `{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, kv{"aws:SourceIp": {"127.0.0.1"}}, true},
		{"ArnLike per component", `{"ArnLike":{"aws:SourceArn":"arn:aws:codebuild:*:222222222222:project/demo-*"}}`, kv{"aws:SourceArn": {"arn:aws:codebuild:ap-southeast-2:222222222222:project/demo-staging-build"}}, true},
		{"ArnEquals other account", `{"ArnEquals":{"aws:SourceArn":"arn:aws:codebuild:ap-southeast-2:222222222222:project/p"}}`, kv{"aws:SourceArn": {"arn:aws:codebuild:ap-southeast-2:333333333333:project/p"}}, false},
		{"ArnNotLike", `{"ArnNotLike":{"aws:SourceArn":"arn:aws:codebuild:*:*:project/x"}}`, kv{"aws:SourceArn": {"arn:aws:codebuild:r:1:project/y"}}, true},
		{"BinaryEquals", `{"BinaryEquals":{"k":"aGVsbG8="}}`, kv{"k": {"aGVsbG8="}}, true},
		{"ForAnyValue one matches", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["env","team"]}}`, kv{"aws:TagKeys": {"owner", "env"}}, true},
		{"ForAnyValue absent is false", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["env"]}}`, kv{}, false},
		{"ForAllValues all match", `{"ForAllValues:StringEquals":{"aws:TagKeys":["env","team"]}}`, kv{"aws:TagKeys": {"env", "team"}}, true},
		{"ForAllValues one outside", `{"ForAllValues:StringEquals":{"aws:TagKeys":["env","team"]}}`, kv{"aws:TagKeys": {"env", "owner"}}, false},
		{"ForAllValues absent is true", `{"ForAllValues:StringEquals":{"aws:TagKeys":["env"]}}`, kv{}, true},
		{"ForAllValues negated", `{"ForAllValues:StringNotEquals":{"aws:TagKeys":["secret"]}}`, kv{"aws:TagKeys": {"env", "team"}}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"x:Y","Resource":"*","Condition":` + tc.cond + `}]}`)
			ctx := Context{}
			for k, v := range tc.ctx {
				ctx.Set(k, v...)
			}
			r, _ := p.Evaluate(Request{Principal: adminUser, Action: "x:Y", Resource: "*", Context: ctx}, false)
			if (r == Allowed) != tc.want {
				t.Errorf("got %v, want allowed=%v", r, tc.want)
			}
		})
	}
}

func TestPolicyVariables(t *testing.T) {
	p := identity(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:CreateAccessKey","Resource":"arn:aws:iam::222222222222:user/${aws:username}"}]}`)
	ctx := Context{}
	ctx.Set("aws:username", "admin")
	req := Request{Principal: adminUser, Action: "iam:CreateAccessKey", Resource: "arn:aws:iam::222222222222:user/admin", Context: ctx}
	if !allowed(t, Input{Request: req, Identity: p}) {
		t.Error("own user refused")
	}
	req.Resource = "arn:aws:iam::222222222222:user/other"
	if allowed(t, Input{Request: req, Identity: p}) {
		t.Error("another user allowed")
	}
	req.Context = Context{} // no value: the element matches nothing
	req.Resource = "arn:aws:iam::222222222222:user/admin"
	if allowed(t, Input{Request: req, Identity: p}) {
		t.Error("an unresolved variable matched")
	}
	old := identity(`{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Action":"iam:CreateAccessKey","Resource":"arn:aws:iam::222222222222:user/${aws:username}"}]}`)
	req.Context = ctx
	if allowed(t, Input{Request: req, Identity: old}) {
		t.Error("Version 2008-10-17 substituted a variable")
	}
}

// githubTrust is the shape the Terraform's trust policy renders to for the CI roles.
const githubTrust = `{"Version":"2012-10-17","Statement":[
 {"Sid":"AwsService","Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"codebuild.amazonaws.com"},
  "Condition":{"StringEquals":{"aws:SourceAccount":"222222222222"},"ArnLike":{"aws:SourceArn":"arn:aws:codebuild:ap-southeast-2:222222222222:project/demo-staging-*"}}},
 {"Sid":"GitHubActions","Effect":"Allow","Action":"sts:AssumeRoleWithWebIdentity",
  "Principal":{"Federated":"arn:aws:iam::222222222222:oidc-provider/token.actions.githubusercontent.com"},
  "Condition":{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"},
               "StringLike":{"token.actions.githubusercontent.com:sub":["repo:platformteam/delivery:environment:staging"]}}}]}`

func TestTrustPolicyWebIdentityAndService(t *testing.T) {
	trust := MustParse(githubTrust)
	gha := Principal{Kind: FederatedPrincipal, ID: "arn:aws:iam::222222222222:oidc-provider/token.actions.githubusercontent.com", Account: staging}
	web := func(sub, aud string) bool {
		ctx := Context{}
		ctx.Set("token.actions.githubusercontent.com:sub", sub)
		ctx.Set("token.actions.githubusercontent.com:aud", aud)
		return AssumeRole(Request{Principal: gha, Action: "sts:AssumeRoleWithWebIdentity", Resource: "arn:aws:iam::222222222222:role/r", Context: ctx}, trust, nil, staging).Allowed
	}
	if !web("repo:platformteam/delivery:environment:staging", "sts.amazonaws.com") {
		t.Error("the trusted subject was refused")
	}
	if web("repo:platformteam/delivery:pull_request", "sts.amazonaws.com") {
		t.Error("a pull request subject was trusted")
	}
	if web("repo:platformteam/delivery:environment:staging", "other") {
		t.Error("another audience was trusted")
	}
	otherProvider := gha
	otherProvider.ID = "arn:aws:iam::333333333333:oidc-provider/token.actions.githubusercontent.com"
	ctx := Context{}
	ctx.Set("token.actions.githubusercontent.com:sub", "repo:platformteam/delivery:environment:staging")
	ctx.Set("token.actions.githubusercontent.com:aud", "sts.amazonaws.com")
	if AssumeRole(Request{Principal: otherProvider, Action: "sts:AssumeRoleWithWebIdentity", Resource: "r", Context: ctx}, trust, nil, staging).Allowed {
		t.Error("another account's provider was trusted")
	}
	// The right principal with the web identity action only: not for sts:AssumeRole.
	if AssumeRole(Request{Principal: gha, Action: "sts:AssumeRole", Resource: "r", Context: ctx}, trust, nil, staging).Allowed {
		t.Error("the federated principal may call sts:AssumeRole")
	}

	codebuild := Principal{Kind: ServicePrincipal, ID: "codebuild.amazonaws.com"}
	svc := func(account, project string) bool {
		ctx := Context{}
		ctx.Set("aws:SourceAccount", account)
		ctx.Set("aws:SourceArn", project)
		return AssumeRole(Request{Principal: codebuild, Action: "sts:AssumeRole", Resource: "r", Context: ctx}, trust, nil, staging).Allowed
	}
	if !svc(staging, "arn:aws:codebuild:ap-southeast-2:222222222222:project/demo-staging-deploy") {
		t.Error("the CodeBuild project of the account was refused")
	}
	if svc(production, "arn:aws:codebuild:ap-southeast-2:333333333333:project/demo-staging-deploy") {
		t.Error("another account's CodeBuild project was trusted (confused deputy)")
	}
	if AssumeRole(Request{Principal: codebuild, Action: "sts:AssumeRole", Resource: "r", Context: Context{}}, trust, nil, staging).Allowed {
		t.Error("a service call without aws:SourceAccount was trusted")
	}
}

func TestTrustPolicyAWSPrincipals(t *testing.T) {
	roleARN := "arn:aws:iam::222222222222:role/target"
	byRoot := MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"AWS":"arn:aws:iam::222222222222:root"}}]}`)
	byUser := MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"AWS":["arn:aws:iam::222222222222:user/admin"]}}]}`)
	crossAccount := MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"AWS":"333333333333"}}]}`)
	bySessionRole := MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"AWS":"arn:aws:iam::333333333333:role/ci/demo-production-ci-deploy"}}]}`)
	canAssume := identity(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::222222222222:role/*"}]}`)
	req := func(p Principal) Request { return Request{Principal: p, Action: "sts:AssumeRole", Resource: roleARN} }

	if AssumeRole(req(adminUser), byRoot, nil, staging).Allowed {
		t.Error("trust naming the account root let a user in without an identity policy")
	}
	if !AssumeRole(req(adminUser), byRoot, canAssume, staging).Allowed {
		t.Error("account root trust + identity policy refused")
	}
	if !AssumeRole(req(adminUser), byUser, nil, staging).Allowed {
		t.Error("trust naming the user itself, same account, refused without an identity policy")
	}
	if AssumeRole(req(prodRole), crossAccount, nil, staging).Allowed {
		t.Error("cross-account assumption without the caller's identity policy allowed")
	}
	if !AssumeRole(req(prodRole), crossAccount, canAssume, staging).Allowed {
		t.Error("cross-account assumption with both policies refused")
	}
	if !AssumeRole(req(prodRole), bySessionRole, canAssume, staging).Allowed {
		t.Error("a trust naming the role (with a path) refused its session")
	}
	if AssumeRole(req(deployRole), crossAccount, canAssume, staging).Allowed {
		t.Error("a principal of another account than the trusted one was allowed")
	}
	deny := identity(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"sts:*","Resource":"*"}]}`)
	if AssumeRole(req(adminUser), byUser, deny, staging).Allowed {
		t.Error("an explicit deny on the caller was ignored")
	}
}

// TestResourcePolicies covers the ECR repository policy for promotion: production pulls from staging.
func TestResourcePolicies(t *testing.T) {
	repo := "arn:aws:ecr:ap-southeast-2:222222222222:repository/demo-app"
	repoPolicy := MustParse(`{"Version":"2012-10-17","Statement":[{"Sid":"Promotion","Effect":"Allow",
		"Principal":{"AWS":"arn:aws:iam::333333333333:root"},
		"Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer","ecr:BatchCheckLayerAvailability"]}]}`)
	pull := identity(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer"],"Resource":"arn:aws:ecr:*:*:repository/demo-app"}]}`)
	in := Input{Request: Request{Principal: prodRole, Action: "ecr:BatchGetImage", Resource: repo}, Identity: pull, ResourcePolicy: repoPolicy, ResourceAccount: staging}
	if d := Authorize(in); !d.Allowed {
		t.Errorf("cross-account pull with both policies refused: %+v", d)
	}
	noID := in
	noID.Identity = nil
	if d := Authorize(noID); d.Allowed || !strings.Contains(d.Reason, "no identity-based policy") {
		t.Errorf("cross-account pull without an identity policy: %+v", d)
	}
	noRepo := in
	noRepo.ResourcePolicy = nil
	if d := Authorize(noRepo); d.Allowed || !strings.Contains(d.Reason, "no resource-based policy") {
		t.Errorf("cross-account pull without a repository policy: %+v", d)
	}
	push := in
	push.Request.Action = "ecr:PutImage"
	if Authorize(push).Allowed {
		t.Error("the repository policy's pull grant let production push")
	}
	// Same account: a resource policy naming the caller suffices; naming only the account does not.
	sameByRoot := Input{Request: Request{Principal: deployRole, Action: "ecr:BatchGetImage", Resource: repo},
		ResourcePolicy: MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"222222222222"},"Action":"ecr:*"}]}`)}
	if Authorize(sameByRoot).Allowed {
		t.Error("same account: a resource policy naming the account root granted without an identity policy")
	}
	sameByRole := sameByRoot
	sameByRole.ResourcePolicy = MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:role/demo-staging-ci-deploy"},"Action":"ecr:*"}]}`)
	if !Authorize(sameByRole).Allowed {
		t.Error("same account: a resource policy naming the caller's role refused")
	}
	denyAll := in
	denyAll.ResourcePolicy = MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"ecr:*"}]}`)
	if d := Authorize(denyAll); d.Allowed || !strings.Contains(d.Reason, "explicit deny in a resource-based policy") {
		t.Errorf("resource policy deny: %+v", d)
	}
}

func TestGlob(t *testing.T) {
	for _, tc := range []struct {
		p, s string
		want bool
	}{
		{"*", "", true}, {"a*c", "abbbc", true}, {"a*c", "abbbd", false}, {"a?c", "abc", true}, {"a?c", "ac", false},
		{"*a*b*", "xxaxxbxx", true}, {"**", "x", true}, {"a*", "a", true}, {"", "", true}, {"", "a", false},
	} {
		if got := globMatch(tc.p, tc.s); got != tc.want {
			t.Errorf("globMatch(%q, %q) = %v", tc.p, tc.s, got)
		}
	}
}

func TestUnknownResourceIsLenient(t *testing.T) {
	p := identity(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"elasticloadbalancing:Describe*","Resource":"arn:aws:elasticloadbalancing:*:*:loadbalancer/app/x/*"}]}`)
	if !allowed(t, Input{Request: Request{Principal: adminUser, Action: "elasticloadbalancing:DescribeRules", Resource: ""}, Identity: p}) {
		t.Error("an underived resource was refused by a resource-scoped allow")
	}
	if allowed(t, Input{Request: Request{Principal: adminUser, Action: "elasticloadbalancing:ModifyRule", Resource: ""}, Identity: p}) {
		t.Error("the action still has to match")
	}
}
