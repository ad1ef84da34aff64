//go:build integration

package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/platformteam/delivery/internal/iampolicy"
	"github.com/platformteam/delivery/internal/sandbox/awsfront/control"
	"github.com/platformteam/delivery/internal/sandbox/oidc"
	"github.com/platformteam/delivery/internal/sandbox/sandboxtest"
	"github.com/platformteam/delivery/internal/sandbox/twin"
	"github.com/platformteam/delivery/internal/supplychaintest"
	"github.com/platformteam/delivery/pkg/artifact"
	"github.com/platformteam/delivery/pkg/environment"
	"github.com/platformteam/delivery/pkg/image"
	"github.com/platformteam/delivery/pkg/supplychain/provenance"
	"github.com/platformteam/delivery/pkg/supplychain/result"
)

// twinJob is what a deploy job of env runs as on the twin accounts: the environment's deploy role
// (rendered from the Terraform's templates), assumed with a GitHub-shaped OIDC token, as
// configure-aws-credentials does. It returns the process environment of the release CLI and the AWS
// configuration of the same session.
type twinJob struct {
	env    []string
	creds  aws.Credentials
	decl   *environment.Twin
	region string
	// declPath is the file of decl (what --twin takes); "" when decl was not read from a file.
	declPath string
}

func deployJob(t *testing.T, s *sandboxtest.Sandbox, env string) twinJob {
	t.Helper()
	decl, err := environment.LoadTwin(s.Layout.StateDir, env)
	if err != nil {
		t.Fatalf("the twin of %s (sandbox up writes it): %v", env, err)
	}
	job := jobOn(t, s.Layout.RepoRoot, decl, env, func(j oidc.Job) (string, error) { return twin.Token(s.Layout.StateDir, j, time.Now()) })
	job.declPath = environment.TwinPath(s.Layout.StateDir, env)
	return job
}

// jobOn assumes env's deploy role on the twin decl declares, with a token mint makes.
func jobOn(t *testing.T, root string, decl *environment.Twin, env string, mint func(oidc.Job) (string, error)) twinJob {
	t.Helper()
	ids, err := iampolicy.Load(root, env)
	if err != nil {
		t.Fatal(err)
	}
	role, ok := ids.Role(iampolicy.Deploy)
	if !ok {
		t.Fatalf("%s declares no deploy role", env)
	}
	tok, err := mint(oidc.Job{Repository: ids.GitHubRepository, Event: "push", Ref: "refs/heads/main",
		Environment: role.GitHubEnvironment, SHA: "0123456789abcdef", RunID: "1"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := twin.AssumeRoleWithWebIdentity(context.Background(), decl.AWS, decl.Region, role.ARN, "supply-chain-it", tok)
	if err != nil {
		t.Fatalf("the %s deploy job could not assume %s: %v", env, role.ARN, err)
	}
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "GITHUB_") && !strings.HasPrefix(kv, "CODEBUILD_") {
			out = append(out, kv)
		}
	}
	out = append(out, "AWS_ENDPOINT_URL="+decl.AWS, "AWS_REGION="+decl.Region, "AWS_ACCESS_KEY_ID="+c.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY="+c.SecretAccessKey, "AWS_SESSION_TOKEN="+c.SessionToken)
	return twinJob{env: out, creds: c, decl: decl, region: decl.Region}
}

// registry logs in to the job's account registry as the job (ECR GetAuthorizationToken).
func (j twinJob) registry(t *testing.T) image.Registry {
	t.Helper()
	cfg := twin.Config(j.decl.AWS, j.region, j.creds)
	reg, err := image.ECR(context.Background(), ecr.NewFromConfig(cfg))
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

func buildRelease(t *testing.T, bin string) {
	t.Helper()
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
}

// handPush writes img to the job's repository under tag, as someone with push rights but outside
// publish would (docker push), and returns its digest.
func handPush(t *testing.T, reg image.Registry, tag string, img v1.Image) string {
	t.Helper()
	ref, err := name.NewTag(reg.Host+"/demo-app:"+tag, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img, reg.Options(context.Background())...); err != nil {
		t.Fatalf("hand push %s: %v", ref, err)
	}
	d, _ := img.Digest()
	return d.String()
}

// TestSupplyChainOnTheTwinAccounts runs the supply chain of docs/supply-chain.md through the release CLI
// on the twin accounts, with the real environments (environments/staging and production: their signing
// keys and trust policies), each step as its deploy job's role:
//   - staging publishes an app image with a build record: signed with staging's KMS key, SLSA v1
//     provenance and CycloneDX SBOM stored where cosign looks (sha256-<hex>.sig / .att), and the deploy
//     gate accepts it;
//   - a hand-pushed unsigned image, and the signed image under an artifact of another commit, are
//     refused by `ecs deploy` with not one mutating call counted by the AWS endpoint;
//   - production refuses to run through an AWS endpoint override; through its twin declaration
//     (--twin) it promotes the image with its evidence, and its own gate re-verifies staging's signature
//     across accounts, before the copy and before a real ECS deploy.
func TestSupplyChainOnTheTwinAccounts(t *testing.T) {
	s := sandboxtest.Env(t)
	supplyChainOnTwins(t, s.Layout.RepoRoot, deployJob(t, s, "staging"), deployJob(t, s, "production"))
}

// supplyChainOnTwins is the flow of TestSupplyChainOnTheTwinAccounts, as the deploy jobs of staging and
// production on twin accounts (root: the repository with the real environments).
func supplyChainOnTwins(t *testing.T, root string, staging, production twinJob) {
	ctx := context.Background()
	work := t.TempDir()
	bin := filepath.Join(work, "release")
	buildRelease(t, bin)
	ctl := control.NewClient(staging.decl.AWS)
	commit, img, art := publishOnTwin(t, bin, root, work, staging)
	want, _ := img.Digest()
	run := func(job twinJob, env string, args ...string) (string, int) {
		return cli(t, bin, append(job.env, "GITHUB_SHA="+commit), work, append(args, "--env", env, "--root", root, "--json")...)
	}
	// The evidence sits where cosign looks for it, in staging's registry.
	stagingReg := staging.registry(t)
	tagBase := strings.Replace(want.String(), ":", "-", 1)
	for _, suffix := range []string{".sig", ".att"} {
		ref, _ := name.NewTag(stagingReg.Host+"/demo-app:"+tagBase+suffix, name.Insecure)
		if _, err := remote.Head(ref, stagingReg.Options(ctx)...); err != nil {
			t.Errorf("%s: %v", ref, err)
		}
	}
	gate := func(job twinJob, env, artifactPath string) (result.Decision, int, string) {
		out, code := run(job, env, "gate", "--artifact", artifactPath)
		var d result.Decision
		json.Unmarshal([]byte(out), &d)
		return d, code, out
	}
	if d, code, out := gate(staging, "staging", artifact.DefaultPath); code != exitOK || !d.Allowed || len(d.Checks) != 3 {
		t.Fatalf("staging's gate on what staging published: exit %d\n%s", code, out)
	}

	// Refusals before any change: zero mutating calls in staging's account, while the gate did read.
	refused := func(what, artifactPath string, reasons ...string) {
		t.Helper()
		before, err := ctl.Requests(ctx)
		must(t, err)
		out, code := run(staging, "staging", "ecs", "deploy", "--artifact", artifactPath)
		after, err := ctl.Requests(ctx)
		must(t, err)
		if code != exitFailed {
			t.Errorf("%s: ecs deploy exit %d, want %d (refused)\n%s", what, code, exitFailed, out)
		}
		if n := after.Mutating(stagingAccount, "") - before.Mutating(stagingAccount, ""); n != 0 {
			t.Errorf("%s: %d mutating call(s) in staging's account during a refused deploy", what, n)
		}
		if after.Of(stagingAccount, "kms", "GetPublicKey") <= before.Of(stagingAccount, "kms", "GetPublicKey") {
			t.Errorf("%s: the gate read no public key (the counters did not move)", what)
		}
		gd, gcode, gout := gate(staging, "staging", artifactPath)
		if gcode != exitFailed || gd.Allowed {
			t.Errorf("%s: gate exit %d\n%s", what, gcode, gout)
		}
		for _, r := range reasons {
			if !strings.Contains(gd.Summary()+" "+gout, r) {
				t.Errorf("%s: the gate's reasons lack %q:\n%s", what, r, gout)
			}
		}
	}
	other := randomCommit(t)
	unsigned, _ := random.Image(1024, 1)
	unsignedDigest := handPush(t, stagingReg, other[:7], unsigned)
	if out, code := run(staging, "staging", "artifact", "write", "--ref", art.Repository()+":"+other[:7]+"@"+unsignedDigest, "--commit", other, "--artifact", "unsigned.json"); code != exitOK {
		t.Fatalf("artifact of the hand-pushed image: exit %d\n%s", code, out)
	}
	refused("hand-pushed unsigned image", "unsigned.json", "unsigned")

	// The signed image, tagged and recorded as another commit's build.
	third := randomCommit(t)
	handPush(t, stagingReg, third[:7], img)
	if out, code := run(staging, "staging", "artifact", "write", "--ref", art.Repository()+":"+third[:7]+"@"+want.String(), "--commit", third, "--artifact", "other-commit.json"); code != exitOK {
		t.Fatalf("artifact of another commit: exit %d\n%s", code, out)
	}
	refused("artifact of another commit", "other-commit.json", "mismatched commit", commit)

	// Promotion to production. Reached through an AWS endpoint override, production refuses to run at
	// all (pkg/awsconfig: a production environment takes its twin's endpoint only from the twin
	// declaration, --twin). Through its declaration, production's deploy job copies the image and its
	// evidence from staging's registry, and production's own gate, trusting staging's key by alias ARN,
	// verifies them again, across accounts, before the copy and before a real ECS deploy.
	t.Run("production refuses an AWS endpoint override", func(t *testing.T) {
		// The twin serves staging's ECR host at the loopback registry of its declaration, so the source
		// artifact names that address.
		src, err := art.Promoted(staging.decl.Registry + "/demo-app")
		must(t, err)
		must(t, artifact.Write(filepath.Join(work, "source.json"), src))
		cmd := exec.Command(bin, "image", "promote", "--artifact", "source.json", "--out", "production.json",
			"--env", "production", "--root", root, "--json")
		cmd.Dir, cmd.Env = work, append(production.env, "GITHUB_SHA="+commit)
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err = cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		t.Logf("release image promote --env production → exit %d\n%s", code, stderr.String())
		if code != exitFailed {
			t.Fatalf("promote to production on the twin: exit %d, want %d (the production endpoint refusal)\n%s%s", code, exitFailed, stdout.String(), stderr.String())
		}
		const refusal = "environment production is production: refusing the AWS endpoint override"
		if !strings.Contains(stderr.String(), refusal) || !strings.Contains(stderr.String(), "AWS_ENDPOINT_URL") {
			t.Fatalf("promote to production on the twin failed, but not with the endpoint refusal %q from AWS_ENDPOINT_URL:\n%s", refusal, stderr.String())
		}
		if _, err := os.Stat(filepath.Join(work, "production.json")); !os.IsNotExist(err) {
			t.Errorf("a refused promotion wrote production.json (stat: %v)", err)
		}
	})

	t.Run("production promotes through its twin declaration and its gate re-verifies", func(t *testing.T) {
		if production.declPath == "" {
			t.Fatal("production's twin declaration file is unknown: the job was not made by deployJob")
		}
		src, err := art.Promoted(staging.decl.Registry + "/demo-app")
		must(t, err)
		must(t, artifact.Write(filepath.Join(work, "source-declared.json"), src))
		var env []string
		for _, kv := range production.env {
			if !strings.HasPrefix(kv, "AWS_ENDPOINT_URL=") {
				env = append(env, kv)
			}
		}
		prodRun := func(args ...string) (string, int) {
			return cli(t, bin, append(env, "GITHUB_SHA="+commit), work,
				append(args, "--env", "production", "--root", root, "--twin", production.declPath, "--json")...)
		}
		out, code := prodRun("image", "promote", "--artifact", "source-declared.json", "--out", "production.json")
		if code != exitOK {
			t.Fatalf("promote to production through its twin declaration: exit %d\n%s", code, out)
		}
		prod, err := artifact.Read(filepath.Join(work, "production.json"))
		must(t, err)
		if prod.Digest() != want.String() || prod.Repository() != production.decl.AccountID+".dkr.ecr."+production.region+".amazonaws.com/demo-app" {
			t.Fatalf("promoted %s, want %s in production's ECR repository", prod.Ref(), want)
		}
		prodReg := production.registry(t)
		for _, suffix := range []string{".sig", ".att"} {
			ref, _ := name.NewTag(prodReg.Host+"/demo-app:"+tagBase+suffix, name.Insecure)
			if _, err := remote.Head(ref, prodReg.Options(ctx)...); err != nil {
				t.Errorf("the evidence was not promoted with the image: %s: %v", ref, err)
			}
		}
		out, code = prodRun("gate", "--artifact", "production.json")
		var d result.Decision
		if json.Unmarshal([]byte(out), &d); code != exitOK || !d.Allowed || len(d.Checks) != 3 {
			t.Fatalf("production's gate on the promoted image: exit %d\n%s", code, out)
		}
		// The gate names the key that verified by its key ARN (what GetPublicKey answers for the alias ARN
		// production's trust policy names): staging's key, in staging's account.
		if stagingKey := "arn:aws:kms:" + staging.region + ":" + stagingAccount + ":key/"; !strings.HasPrefix(d.SignedBy, stagingKey) {
			t.Errorf("production's gate accepted a signature by %q, want staging's key (%s…), the one its trust policy names:\n%s", d.SignedBy, stagingKey, out)
		}
		if out, code := prodRun("ecs", "deploy", "--artifact", "production.json"); code != exitOK || !strings.Contains(out, `"deployed"`) {
			t.Fatalf("production ECS deploy of the promoted image: exit %d\n%s", code, out)
		}
	})
}

const stagingAccount = "222222222222"

// publishOnTwin publishes a fresh app image as staging's deploy job, as the build's push step does after
// `dagger call publish` (ci/build.go writes the same build record): signed with staging's KMS key, with
// its provenance and SBOM. It returns the commit, the image and its artifact (work/artifact.json).
func publishOnTwin(t *testing.T, bin, root, work string, staging twinJob) (string, v1.Image, *artifact.Artifact) {
	t.Helper()
	commit := randomCommit(t)
	img := supplychaintest.AppImage(t, "supply-chain-it "+commit)
	lp, err := layout.Write(filepath.Join(work, "oci"), empty.Index)
	must(t, err)
	must(t, lp.AppendImage(img))
	now := time.Now().UTC()
	build := provenance.Build{Commit: commit, Environment: "staging", Context: "app", Dockerfile: "Dockerfile",
		BaseImages:   []provenance.BaseImage{{Role: "runtime", Ref: "scratch"}},
		DaggerEngine: "v0.19.10", DaggerModule: "delivery", InvocationID: "supply-chain-it", StartedOn: now.Add(-time.Minute), FinishedOn: now}
	raw, _ := json.Marshal(build)
	must(t, os.WriteFile(filepath.Join(work, "build.json"), raw, 0o644))
	out, code := cli(t, bin, append(staging.env, "GITHUB_SHA="+commit), work, "image", "push", "--source", filepath.Join(work, "oci"), "--build", filepath.Join(work, "build.json"),
		"--env", "staging", "--root", root, "--json")
	if code != exitOK {
		t.Fatalf("publish: exit %d\n%s", code, out)
	}
	var pub struct {
		Attestation *result.Attestation `json:"attestation"`
	}
	must(t, json.Unmarshal([]byte(out), &pub))
	want, _ := img.Digest()
	art, err := artifact.Read(filepath.Join(work, artifact.DefaultPath))
	must(t, err)
	if art.Digest() != want.String() || art.Repository() != stagingAccount+".dkr.ecr."+staging.region+".amazonaws.com/demo-app" || pub.Attestation == nil {
		t.Fatalf("published %s (attestation %v), want %s in staging's ECR repository\n%s", art.Ref(), pub.Attestation, want, out)
	}
	t.Logf("published %s (staging's registry: %s)", art.Ref(), staging.decl.Registry)
	return commit, img, art
}
