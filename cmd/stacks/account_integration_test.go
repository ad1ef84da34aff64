//go:build integration

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/platformteam/delivery/internal/iampolicy"
	"github.com/platformteam/delivery/internal/sandbox/awsfront/control"
	"github.com/platformteam/delivery/internal/sandbox/oidc"
	"github.com/platformteam/delivery/internal/sandbox/sandboxtest"
	"github.com/platformteam/delivery/internal/sandbox/twin"
	"github.com/platformteam/delivery/pkg/environment"
)

// useRole puts the credentials a GitHub job of environment env gets for purpose p (a web-identity token
// from the sandbox's issuer, exchanged at the AWS front) into this process's environment, as
// configure-aws-credentials does for the job's steps, and points the SDK at the AWS front.
func useRole(t *testing.T, sb *sandboxtest.Sandbox, env string, p iampolicy.Purpose) (account string) {
	t.Helper()
	root := sb.Layout.RepoRoot
	ids, err := iampolicy.Load(root, env)
	if err != nil {
		t.Fatal(err)
	}
	role, ok := ids.Role(p)
	if !ok {
		t.Fatalf("environment %s declares no %s role", env, p)
	}
	decl, err := environment.LoadTwin(sb.Layout.StateDir, env)
	if err != nil {
		t.Fatalf("twin declaration of %s (written by sandbox up): %v", env, err)
	}
	job := oidc.Job{Repository: "platformteam/delivery", Event: "push", Ref: "refs/heads/main",
		Environment: iampolicy.GitHubEnvironment(env, p), SHA: "0123456789abcdef", RunID: "1"}
	tok, err := twin.Token(sb.Layout.StateDir, job, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	c, err := twin.AssumeRoleWithWebIdentity(context.Background(), sb.AWSEndpoint, decl.Region, role.ARN, "account-guard-it", tok)
	if err != nil {
		t.Fatalf("the %s job could not assume %s: %v", job.Subject(), role.Name, err)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", c.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", c.SecretAccessKey)
	t.Setenv("AWS_SESSION_TOKEN", c.SessionToken)
	t.Setenv("AWS_ENDPOINT_URL", sb.AWSEndpoint)
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	return decl.AccountID
}

// callDelta is what the AWS front counted between two reads of its counters, per account, service and
// operation.
func callDelta(before, after control.Requests) map[string]control.RequestCount {
	key := func(c control.RequestCount) string { return c.Account + " " + c.Service + ":" + c.Operation }
	out := map[string]control.RequestCount{}
	for _, c := range after.Counts {
		out[key(c)] = c
	}
	for _, c := range before.Counts {
		d := out[key(c)]
		d.Count -= c.Count
		d.Refused -= c.Refused
		if d.Count == 0 {
			delete(out, key(c))
			continue
		}
		out[key(c)] = d
	}
	return out
}

func describe(delta map[string]control.RequestCount) string {
	var lines []string
	for k, c := range delta {
		lines = append(lines, fmt.Sprintf("%s ×%d (mutating %v)", k, c.Count, c.Mutating))
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// TestWrongAccountIsRefusedWithZeroMutatingCalls: a production job's credentials (production's apply
// role, assumed with a token of the production GitHub environment) against the staging environment's
// stacks. plan, apply and drift each refuse before any terraform command, naming both accounts, and the
// AWS front counts no mutating call in any account: the only call made is sts:GetCallerIdentity, in
// the production account. Then staging's own apply role passes the same guard.
//
// The direction is production credentials → staging stacks because the production environment refuses
// any AWS endpoint override before its guard runs (it only ever talks to real AWS), so the twin cannot
// stand in for production's endpoint; the guard is the same code for every environment.
func TestWrongAccountIsRefusedWithZeroMutatingCalls(t *testing.T) {
	sb := sandboxtest.Env(t)
	ctx := context.Background()
	root := sb.Layout.RepoRoot
	staging, err := environment.Load(root, "staging")
	if err != nil {
		t.Fatal(err)
	}
	prod := useRole(t, sb, "production", iampolicy.Apply)
	if staging.AccountID == prod {
		t.Fatalf("staging and production are one account (%s) on the twin: the test needs two", prod)
	}
	ctl := control.NewClient(sb.AWSEndpoint)
	before, err := ctl.Requests(ctx)
	if err != nil {
		t.Fatal(err)
	}
	actions := []string{"plan", "apply", "drift"}
	for _, action := range actions {
		out, err := capture(t, action, "--env", "staging", "--root", root, "--stack", "shared/ecr", "--plan-dir", t.TempDir(), "--json")
		if exitCode(err) != 1 {
			t.Fatalf("%s with production credentials against staging: exit %d (%v)\n%s", action, exitCode(err), err, out)
		}
		for _, want := range []string{"refused before any terraform command", "in account " + prod,
			"environment staging is account " + staging.AccountID} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: the refusal lacks %q: %v", action, want, err)
			}
		}
	}
	after, err := ctl.Requests(ctx)
	if err != nil {
		t.Fatal(err)
	}
	delta := callDelta(before, after)
	t.Logf("calls the AWS front counted during the refused runs:\n%s", describe(delta))
	if n := after.Mutating("", "") - before.Mutating("", ""); n != 0 {
		t.Errorf("%d mutating calls were made by refused runs:\n%s", n, describe(delta))
	}
	for k, c := range delta {
		if (c.Account == staging.AccountID || c.Account == prod) && !(c.Service == "sts" && c.Operation == "GetCallerIdentity") {
			t.Errorf("a refused run called %s: only sts:GetCallerIdentity may be called", k)
		}
	}
	if n := after.Of(prod, "sts", "GetCallerIdentity") - before.Of(prod, "sts", "GetCallerIdentity"); n != len(actions) {
		t.Errorf("sts:GetCallerIdentity counted %d times in the production account, want %d (one guard per run): the runs did not reach the AWS front as production", n, len(actions))
	}

	// Staging's own apply role passes the guard: the refusal is about the account, nothing else.
	useRole(t, sb, "staging", iampolicy.Apply)
	out, err := capture(t, "account", "--env", "staging", "--root", root, "--json")
	if err != nil {
		t.Fatalf("staging's apply role refused by staging's guard: %v", err)
	}
	var id struct {
		Account string `json:"account"`
		ARN     string `json:"arn"`
	}
	if err := json.Unmarshal([]byte(out), &id); err != nil || id.Account != staging.AccountID {
		t.Fatalf("staging's apply role is %q (%v), want account %s", out, err, staging.AccountID)
	}
}
