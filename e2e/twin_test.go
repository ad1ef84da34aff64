//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/platformteam/delivery/internal/iampolicy"
	"github.com/platformteam/delivery/internal/sandbox"
	"github.com/platformteam/delivery/internal/sandbox/awsfront/control"
	"github.com/platformteam/delivery/internal/sandbox/oidc"
	"github.com/platformteam/delivery/internal/sandbox/sandboxtest"
	"github.com/platformteam/delivery/internal/sandbox/twin"
	"github.com/platformteam/delivery/pkg/artifact"
	"github.com/platformteam/delivery/pkg/environment"
	"github.com/platformteam/delivery/pkg/image"
)

// twinJob is one CI deploy job against a twin account: its OIDC token (for the job's subject, from
// the sandbox's issuer) and the deploy role the Terraform defines for it — the only credentials.
type twinJob struct {
	env   string
	decl  *environment.Twin
	role  *iampolicy.Role
	job   oidc.Job
	token string // file, written by mint before each call
}

func newTwinJob(t *testing.T, sb *sandboxtest.Sandbox, root, env, commit string) *twinJob {
	t.Helper()
	decl, err := environment.LoadTwin(sb.Layout.StateDir, env)
	if err != nil {
		t.Fatal(err)
	}
	if decl.Kubernetes.Endpoint == "" {
		t.Fatalf("the %s twin declares no EKS endpoint: run `go run ./cmd/sandbox up`", env)
	}
	ids, err := iampolicy.Load(root, env)
	if err != nil {
		t.Fatal(err)
	}
	role, ok := ids.Role(iampolicy.Deploy)
	if !ok {
		t.Fatalf("%s declares no deploy role", env)
	}
	j := &twinJob{env: env, decl: decl, role: role,
		job: oidc.Job{Repository: ids.GitHubRepository, Event: "push", Ref: "refs/heads/main", Environment: env, SHA: commit, RunID: "e2e", Workflow: "deploy"}}
	trusted := false
	for _, s := range role.Subjects {
		trusted = trusted || s == j.job.Subject()
	}
	if !trusted {
		t.Fatalf("the %s deploy role does not trust the deploy job's subject %s (it trusts %v)", env, j.job.Subject(), role.Subjects)
	}
	j.token = filepath.Join(t.TempDir(), "oidc-token")
	return j
}

// mint writes a fresh token for the job (GitHub's last minutes, not a whole run of calls).
func (j *twinJob) mint(t *testing.T, sb *sandboxtest.Sandbox) {
	t.Helper()
	tok, err := twin.Token(sb.Layout.StateDir, j.job, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(j.token, []byte(tok), 0o600); err != nil {
		t.Fatal(err)
	}
}

// call runs `dagger call <fn> --env <env>` against the twin: the token and role, the declarations
// (--twin) and the twin's host services — no keys, no kubeconfig, no AWS endpoint variable.
func (j *twinJob) call(t *testing.T, sb *sandboxtest.Sandbox, root, commit string, services []string, local *environment.Environment, fn string, args ...string) (string, error) {
	t.Helper()
	j.mint(t, sb)
	full := []string{"call", "--progress=plain",
		"--twin", filepath.Join(sb.Layout.StateDir, environment.TwinDir), "--twin-service", strings.Join(services, ","),
		"--aws-web-identity-token", "file://" + j.token, "--aws-role-arn", j.role.ARN,
		"--go-image", local.Images.Go, "--tools-image", local.Images.Tools, "--terraform-image", local.Images.Terraform,
		"--commit", commit, fn, "--env", j.env}
	full = append(full, args...)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	// Nothing AWS-related from the environment: the call must get its credentials from the token.
	cmd := daggerCmd(ctx, sb, root, full...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	t.Logf("dagger call %s --env %s: %s (%v)", fn, j.env, time.Since(start).Round(time.Second), err)
	return out.String(), err
}

// ecsImage is the image of the app container in the task definition the service runs, read with
// the job's own role (a fresh OIDC exchange).
func (j *twinJob) ecsImage(t *testing.T, sb *sandboxtest.Sandbox, root string) string {
	t.Helper()
	ctx := context.Background()
	tok, err := twin.Token(sb.Layout.StateDir, j.job, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	c, err := twin.AssumeRoleWithWebIdentity(ctx, sb.AWSEndpoint, j.decl.Region, j.role.ARN, "e2e-check", tok)
	if err != nil {
		t.Fatal(err)
	}
	cfg := twin.Config(sb.AWSEndpoint, j.decl.Region, c)
	env, err := environment.Load(root, j.env)
	if err != nil {
		t.Fatal(err)
	}
	api := ecs.NewFromConfig(cfg)
	svc, err := api.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(env.ECS.Cluster), Services: []string{env.ECS.Service}})
	if err != nil || len(svc.Services) != 1 {
		t.Fatalf("describe the %s ECS service: %v", j.env, err)
	}
	def, err := api.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: svc.Services[0].TaskDefinition})
	if err != nil {
		t.Fatal(err)
	}
	for _, ctr := range def.TaskDefinition.ContainerDefinitions {
		if aws.ToString(ctr.Name) == env.ECS.Container {
			return aws.ToString(ctr.Image)
		}
	}
	t.Fatalf("the %s task definition has no container %s", j.env, env.ECS.Container)
	return ""
}

// registryDigest resolves the commit's tag in the job's account registry through its own ECR login.
func (j *twinJob) registryDigest(t *testing.T, sb *sandboxtest.Sandbox, repo, tag string) string {
	t.Helper()
	ctx := context.Background()
	tok, err := twin.Token(sb.Layout.StateDir, j.job, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	c, err := twin.AssumeRoleWithWebIdentity(ctx, sb.AWSEndpoint, j.decl.Region, j.role.ARN, "e2e-check", tok)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := image.ECR(ctx, ecr.NewFromConfig(twin.Config(sb.AWSEndpoint, j.decl.Region, c)))
	if err != nil {
		t.Fatal(err)
	}
	if reg.Transport, err = j.decl.Routes().Transport(image.DefaultTransport); err != nil {
		t.Fatal(err)
	}
	res, err := image.ResolveTag(ctx, reg, j.decl.ECRHost+"/"+repo, tag)
	if err != nil {
		t.Fatalf("%s:%s in the %s registry: %v", repo, tag, j.env, err)
	}
	return res.Image.Digest()
}

// TestTwinDeployStagingThenProduction is the end-to-end run on the twin accounts: the deploy
// job of staging builds once, pushes with its ECR login and deploys to ECS and EKS (reached through
// DescribeCluster and a pkg/eksauth token, no kubeconfig), verifying strictly; then production, in its
// own account, deploys staging's artifact.json by promotion (no build), verifying strictly too.
// Credentials come only from OIDC web identity for each job's subject.
func TestTwinDeployStagingThenProduction(t *testing.T) {
	sb := sandboxtest.Env(t)
	requireDagger(t, sb)
	root := repoRoot(t)
	rev, err := exec.Command("git", "-C", root, "rev-parse", "HEAD").Output()
	if err != nil {
		t.Fatalf("git rev-parse HEAD: %v", err)
	}
	commit := strings.TrimSpace(string(rev))
	local, err := environment.Load(root, "local")
	if err != nil {
		t.Fatal(err)
	}
	stg := newTwinJob(t, sb, root, "staging", commit)
	prod := newTwinJob(t, sb, root, "production", commit)
	seen := map[string]bool{}
	var services []string
	for _, d := range []*environment.Twin{stg.decl, prod.decl} {
		for _, a := range d.Addresses() {
			if !seen[a] {
				seen[a] = true
				services = append(services, "tcp://"+a)
			}
		}
	}
	ctl := control.NewClient(sb.AWSEndpoint)
	ctx := context.Background()
	before, err := ctl.Requests(ctx)
	if err != nil {
		t.Fatal(err)
	}

	// Staging: build once, push, deploy both targets, verify strictly.
	out, err := stg.call(t, sb, root, commit, services, local, "deploy")
	if err != nil {
		t.Fatalf("deploy --env staging on its twin: %v\n%s", err, tail(out, 80))
	}
	digest := summaryDigest(out)
	if digest == "" || !strings.Contains(out, "strict: every check read from task imageDigest / pod imageID") {
		t.Fatalf("the staging summary must name the digest and a strict verification:\n%s", tail(out, 40))
	}
	want := stg.decl.ECRHost + "/" + local.Image.Repository + "@" + digest
	if img := stg.ecsImage(t, sb, root); img != want {
		t.Fatalf("staging ECS runs %s, want %s", img, want)
	}
	after, err := ctl.Requests(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if after.Of(stg.decl.AccountID, "sts", "AssumeRoleWithWebIdentity") <= before.Of(stg.decl.AccountID, "sts", "AssumeRoleWithWebIdentity") {
		t.Errorf("the staging run made no AssumeRoleWithWebIdentity call: its credentials did not come from the token")
	}
	if n := after.Of(stg.decl.AccountID, "eks", "DescribeCluster") - before.Of(stg.decl.AccountID, "eks", "DescribeCluster"); n == 0 {
		t.Errorf("the staging run never called DescribeCluster: it did not reach the cluster through EKS")
	}

	// The artifact staging verified (publish finds the commit's tag: nothing is built or pushed).
	art := filepath.Join(t.TempDir(), "artifact.json")
	if out, err := stg.call(t, sb, root, commit, services, local, "publish", "-o", art); err != nil {
		t.Fatalf("publish --env staging (the commit is published): %v\n%s", err, tail(out, 40))
	}
	staged, err := artifact.Read(art)
	if err != nil || staged.Digest() != digest {
		t.Fatalf("staging's artifact: %+v %v, want digest %s", staged, err, digest)
	}

	// Production, its own account: promote staging's artifact by digest and deploy it; no build.
	out, err = prod.call(t, sb, root, commit, services, local, "deploy", "--artifact", art)
	if err != nil {
		t.Fatalf("deploy --env production --artifact on its twin: %v\n%s", err, tail(out, 80))
	}
	wantProd := prod.decl.ECRHost + "/" + local.Image.Repository + "@" + digest
	if summaryDigest(out) != digest || !strings.Contains(out, "promoted from "+staged.Repository()) ||
		!strings.Contains(out, "strict: every check read from task imageDigest / pod imageID") {
		t.Fatalf("production must run staging's digest from its own repository, promoted, verified strictly:\n%s", tail(out, 40))
	}
	if strings.Contains(out, "dockerBuild") || strings.Contains(out, "release image push") {
		t.Fatalf("a promotion must not build or push a build:\n%s", tail(out, 60))
	}
	if img := prod.ecsImage(t, sb, root); img != wantProd {
		t.Fatalf("production ECS runs %s, want %s", img, wantProd)
	}
	if d := prod.registryDigest(t, sb, local.Image.Repository, staged.Tag()); d != digest {
		t.Fatalf("the production registry holds %s under %s, want %s", d, staged.Tag(), digest)
	}
}

// daggerCmd is the sandbox's Dagger CLI with args, run in dir with the sandbox's environment minus
// every AWS and Kubernetes setting: a call gets those only from its own flags, as in a CI job.
func daggerCmd(ctx context.Context, sb *sandboxtest.Sandbox, dir string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, sb.Vars[sandbox.EnvDaggerCLI], args...)
	cmd.Dir = dir
	for _, kv := range sb.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "KUBECONFIG=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "DAGGER_NO_NAG=1")
	return cmd
}
