//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/platformteam/delivery/internal/sandbox"
	"github.com/platformteam/delivery/internal/sandbox/oidc"
	"github.com/platformteam/delivery/internal/sandbox/sandboxtest"
	"github.com/platformteam/delivery/internal/sandbox/twin"
	"github.com/platformteam/delivery/internal/workflows"
	"github.com/platformteam/delivery/pkg/artifact"
	"github.com/platformteam/delivery/pkg/environment"
	"github.com/platformteam/delivery/pkg/ghactions"
)

// TestTwinWorkflowPushToMain is the push to main (issue 14, scenario 2.2) on the staging twin: the
// deploy/staging job of .github/workflows/deploy.yml as internal/workflows derives it for a push of
// this commit, its own `dagger call … deploy` words, run with what configure-aws-credentials exports
// for the job's role: keys from AssumeRoleWithWebIdentity with a token for the job's OIDC subject. The
// sandbox adds only the twin inputs (--twin, --twin-service) and its local base images; the job's
// report is read as the next step reads it (outputs.artifact, for production).
// Not run: the job's apply call before it (infrastructure against a twin is not wired: the real
// stacks need the AWS provider).
func TestTwinWorkflowPushToMain(t *testing.T) {
	sb := sandboxtest.Env(t)
	requireDagger(t, sb)
	root := repoRoot(t)
	rev, err := exec.Command("git", "-C", root, "rev-parse", "HEAD").Output()
	if err != nil {
		t.Fatalf("git rev-parse HEAD: %v", err)
	}
	commit := strings.TrimSpace(string(rev))
	repo, err := workflows.LoadRepository(root, root)
	if err != nil {
		t.Fatal(err)
	}
	var push workflows.Event
	for _, ev := range repo.Events() {
		if ev.Name == "push" {
			push = ev
		}
	}
	if push.Name == "" {
		t.Fatal("internal/workflows declares no push event")
	}
	push.SHA = commit
	var job *workflows.JobRun
	for _, j := range workflows.Derive(repo.Workflows, push) {
		if j.Name() == "deploy/staging" {
			job = &j
		}
	}
	if job == nil || !job.Runs {
		t.Fatalf("a push to main runs no deploy/staging job: %+v", job)
	}
	var call *workflows.DaggerCall
	var parsed workflows.Call
	for i, c := range job.Calls {
		if p, err := repo.Module.ParseCall(c.Args); err == nil && p.Functions() == "deploy" {
			call, parsed = &job.Calls[i], p
		}
	}
	if call == nil || call.Role == nil || call.Role.ARN == "" {
		t.Fatalf("deploy/staging has no deploy call with an assumed role: %+v", job.Calls)
	}
	if parsed.Output == "" || filepath.IsAbs(parsed.Output) {
		t.Fatalf("the deploy call writes its report to %q, want a path in the checkout", parsed.Output)
	}

	// configure-aws-credentials: the job's token (its subject, as GitHub gives it) → the role's keys.
	decl, err := environment.LoadTwin(sb.Layout.StateDir, job.Environment)
	if err != nil {
		t.Fatal(err)
	}
	gh := oidc.Job{Repository: repo.GitHubRepository, Event: push.Name, Ref: push.Ref, Environment: job.Environment,
		SHA: commit, Workflow: "deploy", RunID: workflows.ExampleRunID, Actor: workflows.ExampleActor}
	if gh.Subject() != job.Subject {
		t.Fatalf("the sandbox issuer's subject %s, the job's %s", gh.Subject(), job.Subject)
	}
	tok, err := twin.Token(sb.Layout.StateDir, gh, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	creds, err := twin.AssumeRoleWithWebIdentity(ctx, sb.AWSEndpoint, call.Role.Region, call.Role.ARN, "GitHubActions", tok)
	if err != nil {
		t.Fatalf("the job's role %s for %s: %v", call.Role.ARN, job.Subject, err)
	}

	local, err := environment.Load(root, "local")
	if err != nil {
		t.Fatal(err)
	}
	var services []string
	for _, a := range decl.Addresses() {
		services = append(services, "tcp://"+a)
	}
	args := []string{"call", "--progress=plain",
		"--twin", filepath.Join(sb.Layout.StateDir, environment.TwinDir), "--twin-service", strings.Join(services, ","),
		"--go-image", local.Images.Go, "--tools-image", local.Images.Tools, "--terraform-image", local.Images.Terraform}
	args = append(args, call.Args...)

	report := filepath.Join(root, parsed.Output)
	if _, err := os.Stat(report); err == nil {
		t.Fatalf("%s exists: the job starts from a clean checkout (remove it)", report)
	}
	t.Cleanup(func() { _ = os.Remove(report) })
	runCtx, cancel := context.WithTimeout(ctx, 30*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(runCtx, sb.Vars[sandbox.EnvDaggerCLI], args...)
	cmd.Dir = root
	for _, kv := range sb.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "KUBECONFIG=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "DAGGER_NO_NAG=1",
		"AWS_ACCESS_KEY_ID="+creds.AccessKeyID, "AWS_SECRET_ACCESS_KEY="+creds.SecretAccessKey, "AWS_SESSION_TOKEN="+creds.SessionToken,
		"AWS_REGION="+call.Role.Region, "AWS_DEFAULT_REGION="+call.Role.Region)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err = cmd.Run()
	t.Logf("%s, step %q: dagger %s: %s (%v)", job.Name(), call.Step, strings.Join(call.Args, " "), time.Since(start).Round(time.Second), err)
	if err != nil {
		t.Fatalf("the deploy/staging job's deploy call on the staging twin: %v\n%s", err, tail(out.String(), 80))
	}
	if strings.Contains(out.String(), creds.SecretAccessKey) || strings.Contains(out.String(), creds.SessionToken) {
		t.Fatal("the job's credentials appear in the call's output")
	}

	// The next step: jq -r .outputs.artifact out/deploy/report.json > out/deploy/artifact.json.
	raw, err := os.ReadFile(report)
	if err != nil {
		t.Fatalf("the job's report: %v\n%s", err, tail(out.String(), 40))
	}
	var rep ghactions.Report
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatalf("%s: %v", parsed.Output, err)
	}
	if rep.ExitCode != 0 {
		t.Fatalf("the report's exit code %d: %s", rep.ExitCode, rep.Markdown)
	}
	art, err := artifact.Parse([]byte(rep.Outputs["artifact"]))
	if err != nil {
		t.Fatalf("outputs.artifact (what production deploys): %v\n%s", err, raw)
	}
	if short := art.Commit.String(); len(short) < 7 || !strings.HasPrefix(commit, short) || art.Digest() == "" || art.Digest() != rep.Outputs["digest"] {
		t.Fatalf("outputs.artifact %+v, want commit %s and the report's digest %s", art, commit, rep.Outputs["digest"])
	}
	if !strings.Contains(rep.Markdown, "verified running on every target") {
		t.Errorf("the job's summary must say the digest was verified on every target (strict outside local):\n%s", rep.Markdown)
	}
	stg := newTwinJob(t, sb, root, job.Environment, commit)
	if img, want := stg.ecsImage(t, sb, root), decl.ECRHost+"/"+local.Image.Repository+"@"+art.Digest(); img != want {
		t.Fatalf("staging ECS runs %s, want %s", img, want)
	}
	if strings.Contains(string(raw), creds.SecretAccessKey) || strings.Contains(string(raw), creds.SessionToken) {
		t.Fatal("the job's credentials appear in its report")
	}
}
