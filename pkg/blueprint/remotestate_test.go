package blueprint

import (
	"errors"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

func remoteState(t *testing.T, backend, config string) *RemoteState {
	t.Helper()
	expr, diags := hclsyntax.ParseExpression([]byte(config), "t.tf", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return &RemoteState{Name: "x", Backend: backend, Config: expr}
}

func TestResolveRemoteStateFollowsTheKeyScheme(t *testing.T) {
	rs := remoteState(t, "s3", `merge(var.remote_state, { key = "${var.environment}/apps/demo-app/ecs/terraform.tfstate" })`)
	got, err := ResolveRemoteState(rs)
	if err != nil || got != "apps/demo-app/ecs" {
		t.Fatalf("got %q, %v", got, err)
	}
}

func TestResolveRemoteStateRejectsKeysOutsideTheScheme(t *testing.T) {
	cases := map[string]struct{ backend, config, rule string }{
		"hard-coded env":   {"s3", `merge(var.remote_state, { key = "prod/shared/vpc/terraform.tfstate" })`, "remote-state-key"},
		"other variable":   {"s3", `merge(var.remote_state, { key = "${var.env}/shared/vpc/terraform.tfstate" })`, "remote-state-key"},
		"wrong file":       {"s3", `merge(var.remote_state, { key = "${var.environment}/shared/vpc/state" })`, "remote-state-key"},
		"escaping path":    {"s3", `merge(var.remote_state, { key = "${var.environment}/../vpc/terraform.tfstate" })`, "remote-state-key"},
		"empty stack":      {"s3", `merge(var.remote_state, { key = "${var.environment}/terraform.tfstate" })`, "remote-state-key"},
		"no key":           {"s3", `merge(var.remote_state, { bucket = "b" })`, "remote-state-key"},
		"literal config":   {"s3", `{ key = "${var.environment}/shared/vpc/terraform.tfstate" }`, "remote-state-config"},
		"other backend":    {"local", `{ path = "x" }`, "remote-state-backend"},
		"env twice in key": {"s3", `merge(var.remote_state, { key = "${var.environment}/${var.environment}/terraform.tfstate" })`, "remote-state-key"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := ResolveRemoteState(remoteState(t, tc.backend, tc.config))
			var p *RemoteStateProblem
			if !errors.As(err, &p) || p.Rule != tc.rule || p.Hint == "" {
				t.Fatalf("want %s problem, got %v", tc.rule, err)
			}
		})
	}
}

// TestReadRemoteStateReadsEveryForm: the stack is derived from every statically readable key, and the
// conventions each form breaks are all reported alongside.
func TestReadRemoteStateReadsEveryForm(t *testing.T) {
	stacks := map[string]bool{"shared/vpc": true, "shared/iam": true}
	exists := func(id string) bool { return stacks[id] }
	cfg := &Config{
		Variables: map[string]*Variable{"environment": {}, "remote_state": {}, "state_bucket": {}},
		Locals: map[string]hcl.Expression{
			"vpc_key": mustExpr(t, `"${local.prefix}/shared/vpc/terraform.tfstate"`),
			"prefix":  mustExpr(t, `var.environment`),
		},
	}
	cases := map[string]struct {
		config, stack, env string
		rules              []string
	}{
		"merge convention":      {`merge(var.remote_state, { key = "${var.environment}/shared/vpc/terraform.tfstate" })`, "shared/vpc", "", nil},
		"literal key":           {`{ bucket = "b", region = "r", key = "staging/shared/vpc/terraform.tfstate" }`, "shared/vpc", "staging", []string{RuleRemoteStateConfig, RuleRemoteStateKey}},
		"env variable, object":  {`{ bucket = var.state_bucket, key = "${var.environment}/shared/iam/terraform.tfstate" }`, "shared/iam", "", []string{RuleRemoteStateConfig}},
		"format":                {`merge(var.remote_state, { key = format("%s/shared/vpc/terraform.tfstate", var.environment) })`, "shared/vpc", "", nil},
		"merge other order":     {`merge({ key = "${var.environment}/shared/vpc/terraform.tfstate" }, var.remote_state)`, "shared/vpc", "", []string{RuleRemoteStateConfig}},
		"key from locals":       {`merge(var.remote_state, { key = local.vpc_key })`, "shared/vpc", "", nil},
		"no env segment":        {`merge(var.remote_state, { key = "shared/vpc/terraform.tfstate" })`, "shared/vpc", "", []string{RuleRemoteStateKey}},
		"other file name":       {`merge(var.remote_state, { key = "${var.environment}/shared/vpc/state.json" })`, "shared/vpc", "", []string{RuleRemoteStateKey}},
		"missing stack":         {`merge(var.remote_state, { key = "${var.environment}/shared/nope/terraform.tfstate" })`, "shared/nope", "", nil},
		"unreadable":            {`merge(var.remote_state, { key = "${var.state_bucket}/shared/vpc/terraform.tfstate" })`, "", "", []string{RuleRemoteStateKey}},
		"hard-coded, missing":   {`{ key = "production/shared/gone/terraform.tfstate" }`, "shared/gone", "production", []string{RuleRemoteStateConfig, RuleRemoteStateKey}},
		"backend local literal": {`{ path = "../vpc/terraform.tfstate" }`, "", "", []string{RuleRemoteStateBackend, RuleRemoteStateConfig, RuleRemoteStateKey}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			backend := "s3"
			if strings.Contains(name, "backend local") {
				backend = "local"
			}
			read := ReadRemoteState(cfg, remoteState(t, backend, tc.config), exists)
			if read.Stack != tc.stack || read.Environment != tc.env {
				t.Errorf("stack %q env %q, want %q %q (key %q)", read.Stack, read.Environment, tc.stack, tc.env, read.Key)
			}
			var rules []string
			for _, p := range read.Problems {
				rules = append(rules, p.Rule)
				if strings.Contains(p.Message, envPlaceholder) {
					t.Errorf("message shows the placeholder: %s", p.Message)
				}
			}
			if strings.Join(rules, ",") != strings.Join(tc.rules, ",") {
				t.Errorf("rules %v, want %v (%v)", rules, tc.rules, read.Problems)
			}
		})
	}
}

func mustExpr(t *testing.T, src string) hcl.Expression {
	t.Helper()
	expr, diags := hclsyntax.ParseExpression([]byte(src), "locals.tf", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return expr
}
