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

func TestStackFromKeyShowsTheVariableNotThePlaceholder(t *testing.T) {
	_, err := StackFromKey(envPlaceholder+"/a/b.json", "x")
	if err == nil || !strings.Contains(err.Error(), "${var.environment}/a/b.json") {
		t.Fatalf("got %v", err)
	}
}
