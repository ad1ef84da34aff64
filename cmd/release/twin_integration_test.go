//go:build integration

package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/random"

	"github.com/platformteam/delivery/internal/iampolicy"
	"github.com/platformteam/delivery/internal/sandbox/awsfront/control"
	"github.com/platformteam/delivery/internal/sandbox/oidc"
	"github.com/platformteam/delivery/internal/sandbox/sandboxtest"
	"github.com/platformteam/delivery/internal/sandbox/twin"
	"github.com/platformteam/delivery/internal/sandbox/twin/twintest"
	"github.com/platformteam/delivery/internal/supplychaintest"
	"github.com/platformteam/delivery/pkg/artifact"
	"github.com/platformteam/delivery/pkg/environment"
	"github.com/platformteam/delivery/pkg/supplychain/provenance"
)

// twinRun is the release CLI run as a CI job runs it against the staging twin: no keys at all, only a
// web identity token for a job subject and the role to assume (the SDK chain), plus the sandbox's
// endpoints declaration (--twin).
type twinRun struct {
	t        *testing.T
	bin      string
	root     string // the repository (environments/staging)
	dir      string // the working directory (artifact.json)
	stateDir string
	decl     *environment.Twin
	ctl      *control.Client
	// lockWrites are the SSM puts and deletes of the last mutating call (the deploy lock's).
	lockWrites int
}

func (r *twinRun) token(j oidc.Job) string {
	r.t.Helper()
	tok, err := twin.Token(r.stateDir, j, time.Now())
	if err != nil {
		r.t.Fatalf("mint a token (the issuer key is written by sandbox up): %v", err)
	}
	path := filepath.Join(r.dir, sandboxtest.UniqueName("token"))
	if err := os.WriteFile(path, []byte(tok), 0o600); err != nil {
		r.t.Fatal(err)
	}
	return path
}

// run runs `release <args> --env staging --root <repo> --twin <declaration>` as roleARN with the
// token at tokenFile; it returns stdout, stderr and the exit code.
func (r *twinRun) run(tokenFile, roleARN string, args ...string) (string, string, int) {
	r.t.Helper()
	cmd := exec.Command(r.bin, append(args, "--env", "staging", "--root", r.root, "--twin", environment.TwinPath(r.stateDir, "staging"))...)
	cmd.Dir = r.dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + r.dir, "AWS_CONFIG_FILE=/nonexistent", "AWS_SHARED_CREDENTIALS_FILE=/nonexistent",
		"AWS_EC2_METADATA_DISABLED=true", "AWS_WEB_IDENTITY_TOKEN_FILE=" + tokenFile, "AWS_ROLE_ARN=" + roleARN, "AWS_ROLE_SESSION_NAME=it-twin"}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		r.t.Fatal(err)
	}
	r.t.Logf("release %s (as %s) → exit %d\n%s", strings.Join(args, " "), roleARN, code, stderr.String())
	return stdout.String(), stderr.String(), code
}

// mutating is the number of mutating AWS calls the staging account made while fn ran.
func (r *twinRun) mutating(fn func()) int {
	r.t.Helper()
	ctx := context.Background()
	before, err := r.ctl.Requests(ctx)
	if err != nil {
		r.t.Fatalf("the AWS front's request counters: %v", err)
	}
	fn()
	after, err := r.ctl.Requests(ctx)
	if err != nil {
		r.t.Fatal(err)
	}
	r.lockWrites = after.Of(r.decl.AccountID, "ssm", "PutParameter") + after.Of(r.decl.AccountID, "ssm", "DeleteParameter") -
		before.Of(r.decl.AccountID, "ssm", "PutParameter") - before.Of(r.decl.AccountID, "ssm", "DeleteParameter")
	return after.Mutating(r.decl.AccountID, "") - before.Mutating(r.decl.AccountID, "")
}

func randomCommit(t *testing.T) string {
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// appLayout is an OCI layout of an app-shaped image (a Go binary: what publish reads an SBOM from).
func appLayout(t *testing.T, dir, commit string) string {
	t.Helper()
	path := filepath.Join(dir, sandboxtest.UniqueName("oci"))
	p, err := layout.Write(path, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendImage(supplychaintest.AppImage(t, "twin "+commit)); err != nil {
		t.Fatal(err)
	}
	return path
}

// buildRecord writes the build record publish hands the release engine (ci/build.go) for commit.
func buildRecord(t *testing.T, dir, commit, env string) string {
	t.Helper()
	now := time.Now().UTC()
	raw, err := json.Marshal(provenance.Build{Commit: commit, Environment: env, Context: "app", Dockerfile: "Dockerfile",
		BaseImages:   []provenance.BaseImage{{Role: "runtime", Ref: "scratch"}},
		DaggerEngine: "v0.19.10", DaggerModule: "delivery", InvocationID: sandboxtest.UniqueName("twin"), StartedOn: now.Add(-time.Minute), FinishedOn: now})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, sandboxtest.UniqueName("build")+".json")
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func imageLayout(t *testing.T, dir string) string {
	t.Helper()
	img, err := random.Image(512, 1)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, sandboxtest.UniqueName("oci"))
	p, err := layout.Write(path, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendImage(img); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestTwinRefusals runs the release engine — the pipeline's own CLI, as every Dagger step runs it —
// against the staging twin with OIDC credentials only, and checks that each way a real account refuses
// a run fails with a clear message and changes nothing:
//   - a token whose subject the deploy role does not trust (AccessDenied from STS, zero mutating calls);
//   - the deploy role rendered from a copy of the Terraform with ecs:DescribeServices removed
//     (AccessDenied naming the action, zero mutating calls);
//   - a push of an existing immutable tag with another digest (refused, the tag unchanged);
//   - an EKS token of a role without an access entry (401 explained, naming the principal).
func TestTwinRefusals(t *testing.T) {
	s := sandboxtest.Env(t)
	ctx := context.Background()
	r := &twinRun{t: t, root: s.Layout.RepoRoot, dir: t.TempDir(), stateDir: s.Layout.StateDir, ctl: control.NewClient(s.AWSEndpoint)}
	r.bin = filepath.Join(r.dir, "release")
	if out, err := exec.Command("go", "build", "-o", r.bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	var err error
	if r.decl, err = environment.LoadTwin(r.stateDir, "staging"); err != nil {
		t.Fatal(err)
	}
	ids, err := iampolicy.Load(r.root, "staging")
	if err != nil {
		t.Fatal(err)
	}
	deploy, ok := ids.Role(iampolicy.Deploy)
	if !ok {
		t.Fatal("staging declares no deploy role")
	}
	job := oidc.Job{Repository: ids.GitHubRepository, Event: "push", Ref: "refs/heads/main", Environment: "staging", SHA: randomCommit(t), RunID: "1"}
	trusted := false
	for _, sub := range deploy.Subjects {
		trusted = trusted || sub == job.Subject()
	}
	if !trusted {
		t.Fatalf("the staging deploy role does not trust the deploy job's subject %s (it trusts %v)", job.Subject(), deploy.Subjects)
	}
	deployToken := r.token(job)

	// The deploy job publishes an image, signed and attested as publish does (so the deploy gate lets the
	// deploys below through to the AWS and cluster calls they are about): the artifact the refusals below
	// try to deploy.
	commit := randomCommit(t)
	if _, _, code := r.run(deployToken, deploy.ARN, "image", "push", "--source", appLayout(t, r.dir, commit), "--commit", commit,
		"--build", buildRecord(t, r.dir, commit, "staging")); code != 0 {
		t.Fatalf("the deploy role could not push through its OIDC credentials and ECR login (exit %d)", code)
	}
	pushed, err := artifact.Read(filepath.Join(r.dir, artifact.DefaultPath))
	if err != nil {
		t.Fatal(err)
	}
	if want := r.decl.ECRHost + "/"; !strings.HasPrefix(pushed.Image.String(), want) {
		t.Fatalf("the artifact names %s, want the account's ECR host %s (the twin serves it)", pushed.Image, r.decl.ECRHost)
	}

	t.Run("immutable tag, another digest", func(t *testing.T) {
		var stderr string
		var code int
		n := r.mutating(func() {
			_, stderr, code = r.run(deployToken, deploy.ARN, "image", "push", "--source", imageLayout(t, r.dir), "--commit", commit, "--no-artifact")
		})
		if code == 0 || !strings.Contains(stderr, "immutable") && !strings.Contains(stderr, pushed.Digest()) {
			t.Fatalf("a second image under the same commit tag must be refused naming the tag's digest (exit %d):\n%s", code, stderr)
		}
		_, _, code = r.run(deployToken, deploy.ARN, "image", "resolve", "--ref", pushed.Image.String())
		if code != 0 || n != 0 {
			t.Errorf("the tag must still point at %s (confirm exit %d) and no AWS call may mutate (%d did)", pushed.Digest(), code, n)
		}
	})

	t.Run("untrusted subject", func(t *testing.T) {
		pr := oidc.Job{Repository: ids.GitHubRepository, Event: "pull_request", Ref: "refs/pull/7/merge", SHA: job.SHA, RunID: "2"}
		var stderr string
		var code int
		n := r.mutating(func() {
			_, stderr, code = r.run(r.token(pr), deploy.ARN, "ecs", "deploy", "--artifact", filepath.Join(r.dir, artifact.DefaultPath))
		})
		if code == 0 || !strings.Contains(stderr, "Not authorized to perform sts:AssumeRoleWithWebIdentity") {
			t.Fatalf("a pull request's token must not assume the deploy role (exit %d):\n%s", code, stderr)
		}
		if n != 0 {
			t.Errorf("%d mutating AWS calls were made in %s", n, r.decl.AccountID)
		}
	})

	t.Run("permission removed in the Terraform", func(t *testing.T) {
		role := twintest.DeployRoleWithoutDescribe(t, r.root, r.stateDir, s.AWSEndpoint, "staging", r.decl)
		var stderr string
		var code int
		n := r.mutating(func() {
			_, stderr, code = r.run(deployToken, role.ARN, "ecs", "deploy", "--artifact", filepath.Join(r.dir, artifact.DefaultPath))
		})
		if code == 0 || !strings.Contains(stderr, "AccessDenied") || !strings.Contains(stderr, "ecs:DescribeServices") {
			t.Fatalf("the deploy role without ecs:DescribeServices must fail with AccessDenied naming it (exit %d):\n%s", code, stderr)
		}
		// One deploy at a time: the deploy takes its SSM lock before it reads the service and releases it
		// on every exit, so the lock's put and delete are the only writes, and no lock is left behind.
		lockWrites := r.lockWrites
		if other := n - lockWrites; other != 0 || lockWrites != 2 {
			t.Errorf("%d mutating AWS calls were made in %s beside the deploy lock's %d (want 0 and the lock's put + delete)", other, r.decl.AccountID, lockWrites)
		}
		stg, err := environment.Load(r.root, "staging")
		if err != nil {
			t.Fatal(err)
		}
		lock := "/delivery/deploy-locks/staging/ecs/" + stg.ECS.Service
		if _, err := ssm.NewFromConfig(twintest.AdminConfig(t, r.stateDir, s.AWSEndpoint, r.decl)).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(lock)}); err == nil {
			t.Errorf("the refused deploy left its lock %s behind", lock)
		}
	})

	t.Run("EKS token without an access entry", func(t *testing.T) {
		apply, ok := ids.Role(iampolicy.Apply)
		if !ok {
			t.Fatal("staging declares no apply role")
		}
		for _, e := range ids.AccessEntries {
			if e.PrincipalARN == apply.ARN {
				t.Fatalf("the apply role has an access entry now (%+v): pick a role without one", e)
			}
		}
		var stderr string
		var code int
		n := r.mutating(func() {
			_, stderr, code = r.run(deployToken, apply.ARN, "verify", "--platform", "eks", "--artifact", filepath.Join(r.dir, artifact.DefaultPath))
		})
		if code == 0 || !strings.Contains(stderr, "401 Unauthorized") || !strings.Contains(stderr, apply.Name) || !strings.Contains(stderr, "access entry") {
			t.Fatalf("a role without an access entry must be refused by the cluster, naming the role and the fix (exit %d):\n%s", code, stderr)
		}
		if n != 0 {
			t.Errorf("%d mutating AWS calls were made in %s", n, r.decl.AccountID)
		}
	})
}
