//go:build e2e

// Package e2e runs the pipeline the way a newcomer does — `dagger call <function> --env local` through
// scripts/dagger-local.sh against the sandbox — and checks its effects independently: ECS through the
// AWS API, the Helm release through the release engine's history, the registry through its API.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/platformteam/delivery/internal/sandbox"
	"github.com/platformteam/delivery/internal/sandbox/sandboxtest"
	"github.com/platformteam/delivery/pkg/artifact"
	"github.com/platformteam/delivery/pkg/environment"
	"github.com/platformteam/delivery/pkg/image"
)

// repoRoot is the repository this test runs from.
func repoRoot(t testing.TB) string {
	t.Helper()
	abs, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

// requireDagger fails (never skips) when the sandbox runs without its Dagger engine.
func requireDagger(t *testing.T, sb *sandboxtest.Sandbox) {
	t.Helper()
	if sb.Vars[sandbox.EnvDaggerCLI] == "" {
		t.Fatalf("sandbox component dagger is not up: run `go run ./cmd/sandbox up --with-dagger` (make test does)")
	}
}

// daggerLocal runs scripts/dagger-local.sh in dir and returns stdout+stderr and the error.
func daggerLocal(t testing.TB, sb *sandboxtest.Sandbox, dir string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(dir, "scripts", "dagger-local.sh"), append(args, "--progress=plain")...)
	cmd.Dir = dir
	cmd.Env = sb.Environ()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	t.Logf("dagger call %s: %s (%v)", strings.Join(args, " "), time.Since(start).Round(time.Second), err)
	return out.String(), err
}

// releaseCLI runs the release engine on the host against the local environment (independent check).
func releaseCLI(t *testing.T, sb *sandboxtest.Sandbox, args ...string) []byte {
	t.Helper()
	out, stderr, err := releaseCLIErr(t, sb, args...)
	if err != nil {
		t.Fatalf("release %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
	return out
}

func releaseCLIErr(t *testing.T, sb *sandboxtest.Sandbox, args ...string) ([]byte, string, error) {
	t.Helper()
	cmd := exec.Command("go", append([]string{"run", "./cmd/release"}, append(args, "--env", "local", "--json")...)...)
	cmd.Dir = repoRoot(t)
	cmd.Env = sb.Environ()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	return out, stderr.String(), err
}

type helmRevision struct {
	Revision    int    `json:"revision"`
	Status      string `json:"status"`
	Description string `json:"description"`
}

// helmHistory lists the release's revisions (none before the first install).
func helmHistory(t *testing.T, sb *sandboxtest.Sandbox) []helmRevision {
	t.Helper()
	out, stderr, err := releaseCLIErr(t, sb, "eks", "history")
	if err != nil {
		if strings.Contains(stderr, "not found") {
			return nil
		}
		t.Fatalf("release eks history: %v\n%s", err, stderr)
	}
	var revs []helmRevision
	if err := json.Unmarshal(out, &revs); err != nil {
		t.Fatalf("eks history: %v", err)
	}
	return revs
}

func deployedRevision(revs []helmRevision) int {
	for _, r := range revs {
		if r.Status == "deployed" {
			return r.Revision
		}
	}
	return 0
}

// ecsImage is the image of the app container in the task definition the service runs.
func ecsImage(t *testing.T, sb *sandboxtest.Sandbox, env *environment.Environment) (string, string) {
	t.Helper()
	api := ecs.NewFromConfig(sb.AWSConfig())
	ctx := context.Background()
	svc, err := api.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(env.ECS.Cluster), Services: []string{env.ECS.Service}})
	if err != nil || len(svc.Services) != 1 {
		t.Fatalf("describe ECS service: %v", err)
	}
	td := aws.ToString(svc.Services[0].TaskDefinition)
	def, err := api.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(td)})
	if err != nil {
		t.Fatalf("describe task definition %s: %v", td, err)
	}
	for _, c := range def.TaskDefinition.ContainerDefinitions {
		if aws.ToString(c.Name) == env.ECS.Container {
			return td, aws.ToString(c.Image)
		}
	}
	t.Fatalf("task definition %s has no container %s", td, env.ECS.Container)
	return "", ""
}

// summaryDigestRE finds the digest on the summary's image line (progress output names other digests).
var summaryDigestRE = regexp.MustCompile(`(?m)^\s+image\s+\S+@(sha256:[0-9a-f]{64}) \(commit`)

// summaryDigest is the digest the deploy summary reports ("" when there is no summary).
func summaryDigest(out string) string {
	if m := summaryDigestRE.FindStringSubmatch(out); m != nil {
		return m[1]
	}
	return ""
}

// TestDeployLocal is the README's main job, twice, then rollbacks, then a broken chart.
func TestDeployLocal(t *testing.T) {
	sb := sandboxtest.Env(t)
	requireDagger(t, sb)
	root := repoRoot(t)
	env, err := environment.Load(root, "local")
	if err != nil {
		t.Fatal(err)
	}
	revsBefore := deployedRevision(helmHistory(t, sb))
	tdBefore, _ := ecsImage(t, sb, env)

	// First run: the README's `make demo`, as written: sandbox up, then build, push, deploy to ECS and
	// EKS, verify.
	out := runReadmeDemo(t, sb, root)
	digest := summaryDigest(out)
	if digest == "" || !strings.Contains(out, "verify   running digest = "+digest) {
		t.Fatalf("the summary must name the digest and its verification:\n%s", tail(out, 40))
	}
	// A sandbox kept from an earlier run may already run this commit: then the first run is a no-change
	// run too. Either way ECS and Helm run the digest afterwards.
	firstChanged := strings.Contains(out, "deploy local: changed")
	td, img := ecsImage(t, sb, env)
	if !strings.HasSuffix(img, "@"+digest) || (firstChanged && td == tdBefore) {
		t.Fatalf("ECS: service runs %s with image %s; want a revision pinned to %s (changed: %v)", td, img, digest, firstChanged)
	}
	revs := helmHistory(t, sb)
	rev := deployedRevision(revs)
	if rev == 0 || (firstChanged && rev <= revsBefore) {
		t.Fatalf("Helm: deployed revision %d (before %d, changed: %v): %+v", rev, revsBefore, firstChanged, revs)
	}
	if !strings.Contains(out, "task definition") || !strings.Contains(out, "helm revision") {
		t.Fatalf("the summary must show task definition and Helm revision old → new:\n%s", tail(out, 40))
	}

	// Second run of the same commit: the commit is published, so nothing is built or pushed (tags are
	// immutable), nothing is redeployed, and it exits 0.
	// It runs as docs/pipeline.md shows the laptop path: up, then scripts/dagger-local.sh deploy.
	laptop := docBlocks(t, "docs/pipeline.md")
	if len(laptop) != 1 {
		t.Fatalf("docs/pipeline.md: want one block run here, found %d", len(laptop))
	}
	out2 := runDocBlock(t, sb, laptop[0], root, nil)
	if !strings.Contains(out2, "deploy local: no change") || summaryDigest(out2) != digest {
		t.Fatalf("a re-run without changes must report no change with the same digest %s:\n%s", digest, tail(out2, 40))
	}
	if !strings.Contains(out2, "commit published before: not rebuilt") || strings.Contains(out2, "release image push") {
		t.Fatalf("a re-run of a published commit must neither build nor push:\n%s", tail(out2, 40))
	}
	if td2, _ := ecsImage(t, sb, env); td2 != td {
		t.Fatalf("ECS revision changed on a no-change run: %s → %s", td, td2)
	}
	if rev2 := deployedRevision(helmHistory(t, sb)); rev2 != rev {
		t.Fatalf("Helm revision changed on a no-change run: %d → %d", rev, rev2)
	}

	// A second version, from a copy of the repository with a changed app: new digest, new revisions.
	artA := filepath.Join(t.TempDir(), "artifact-a.json")
	if out, err := daggerLocal(t, sb, root, "publish", "-o", artA); err != nil {
		t.Fatalf("publish (same commit, cached): %v\n%s", err, tail(out, 40))
	}
	if a, err := artifact.Read(artA); err != nil || a.Digest() != digest {
		t.Fatalf("publishing the same commit again must give the same digest %s: %+v %v", digest, a, err)
	}
	copyDir := cloneRepo(t, root, func(dir string) {
		appendFile(t, filepath.Join(dir, "app", "main.go"), "\n// e2e: a second version of the app\n")
	})
	outB, err := daggerLocal(t, sb, copyDir, "deploy")
	if err != nil {
		t.Fatalf("deploy of version B: %v\n%s", err, tail(outB, 60))
	}
	digestB := summaryDigest(outB)
	if digestB == "" || digestB == digest || !strings.Contains(outB, "deploy local: changed") {
		t.Fatalf("version B must deploy a new digest (A is %s):\n%s", digest, tail(outB, 40))
	}
	tdB, _ := ecsImage(t, sb, env)
	revB := deployedRevision(helmHistory(t, sb))

	// The build-failure runbook, as written, on B's commit (docs/runbooks/build-failure.md): build and
	// publish that commit again (published: not rebuilt), write its artifact.json from the registry,
	// deploy it to ECS (unchanged).
	head, err := exec.Command("git", "-C", copyDir, "rev-parse", "HEAD").Output()
	if err != nil {
		t.Fatal(err)
	}
	commit := strings.TrimSpace(string(head))
	values := map[string]string{"env": "local", "commit": commit, "short-sha": commit[:7]}
	build := docBlocks(t, "docs/runbooks/build-failure.md")
	if len(build) != 4 {
		t.Fatalf("build-failure.md: want 4 blocks run here (build, app tests, publish, resolve + deploy-ecs), found %d", len(build))
	}
	runDocBlock(t, sb, build[0], copyDir, values)
	runDocBlock(t, sb, build[1], copyDir, values)
	if out := runDocBlock(t, sb, build[2], copyDir, values); !strings.Contains(out, "is published") || !strings.Contains(out, digestB) {
		t.Fatalf("build-failure publish of a published commit must reuse %s, not rebuild:\n%s", digestB, tail(out, 30))
	}
	if out := runDocBlock(t, sb, build[3], copyDir, values); !strings.Contains(out, "unchanged") && !strings.Contains(out, "no change") {
		t.Fatalf("build-failure deploy-ecs of the running artifact must change nothing:\n%s", tail(out, 30))
	}
	if a, err := artifact.Read(filepath.Join(copyDir, "artifact.json")); err != nil || a.Digest() != digestB {
		t.Fatalf("image resolve --write-artifact must write B's artifact (%s): %+v %v", digestB, a, err)
	}

	// The rollback runbooks, as written (docs/runbooks/{ecs,eks}-rollback.md), in B's copy with B's
	// artifact.json: each target back to version A, then forward to B again with --to, then verify.
	ecsBlocks := docBlocks(t, "docs/runbooks/ecs-rollback.md")
	if len(ecsBlocks) != 4 {
		t.Fatalf("ecs-rollback.md: want 4 blocks run here (look, roll back, roll back --to, confirm), found %d", len(ecsBlocks))
	}
	if look := runDocBlock(t, sb, ecsBlocks[0], copyDir, values); !strings.Contains(look, tdB) {
		t.Fatalf("ecs-rollback look: the service's task definition %s must show:\n%s", tdB, tail(look, 30))
	}
	runDocBlock(t, sb, ecsBlocks[1], copyDir, values)
	if tdRB, img := ecsImage(t, sb, env); tdRB == tdB || !strings.HasSuffix(img, "@"+digest) {
		t.Fatalf("ECS rollback: service runs %s (%s); want the revision before %s, with %s", tdRB, img, tdB, digest)
	}
	values["revision"] = tdB[strings.LastIndex(tdB, ":")+1:]
	runDocBlock(t, sb, ecsBlocks[2], copyDir, values)
	if tdTo, img := ecsImage(t, sb, env); tdTo != tdB || !strings.HasSuffix(img, "@"+digestB) {
		t.Fatalf("ECS rollback --to %s: service runs %s (%s); want %s with %s", values["revision"], tdTo, img, tdB, digestB)
	}
	if confirm := runDocBlock(t, sb, ecsBlocks[3], copyDir, values); !strings.Contains(confirm, "COMPLETED") {
		t.Fatalf("ecs-rollback confirm: want the rollout COMPLETED:\n%s", tail(confirm, 20))
	}

	eksBlocks := docBlocks(t, "docs/runbooks/eks-rollback.md")
	if len(eksBlocks) != 4 {
		t.Fatalf("eks-rollback.md: want 4 blocks run here (look, roll back, roll back --to, confirm), found %d", len(eksBlocks))
	}
	if look := runDocBlock(t, sb, eksBlocks[0], copyDir, values); !strings.Contains(look, "@"+digestB) {
		t.Fatalf("eks-rollback look: the pods must show B's image %s:\n%s", digestB, tail(look, 30))
	}
	newest := func() helmRevision {
		var last helmRevision // the newest revision, whatever order history lists them in
		for _, r := range helmHistory(t, sb) {
			if r.Revision > last.Revision {
				last = r
			}
		}
		return last
	}
	runDocBlock(t, sb, eksBlocks[1], copyDir, values)
	if last := newest(); last.Status != "deployed" || last.Revision != revB+1 || !strings.Contains(strings.ToLower(last.Description), "rollback") {
		t.Fatalf("Helm rollback: last revision %+v, want %d deployed as a rollback", last, revB+1)
	}
	values["revision"] = strconv.Itoa(revB)
	runDocBlock(t, sb, eksBlocks[2], copyDir, values)
	if last := newest(); last.Status != "deployed" || last.Revision != revB+2 || !strings.Contains(last.Description, strconv.Itoa(revB)) {
		t.Fatalf("Helm rollback --to %d: last revision %+v, want %d deployed as a rollback to %d", revB, last, revB+2, revB)
	}
	// Both targets run B again: the runbook's verify passes on B's artifact.json.
	if confirm := runDocBlock(t, sb, eksBlocks[3], copyDir, values); !strings.Contains(confirm, digestB) {
		t.Fatalf("eks-rollback confirm: verify must name B's digest %s:\n%s", digestB, tail(confirm, 30))
	}

	// The DNS cutover runbook as far as the sandbox reaches (docs/runbooks/dns-cutover.md): verify both
	// sides, deploy the chart (its weight annotation). The ECS weight's Terraform step is marked for a
	// real account: the app stack needs the AWS provider.
	dns := docBlocks(t, "docs/runbooks/dns-cutover.md")
	if len(dns) != 2 {
		t.Fatalf("dns-cutover.md: want 2 blocks run here (verify, the chart's weight step), found %d", len(dns))
	}
	if out := runDocBlock(t, sb, dns[0], copyDir, values); !strings.Contains(out, digestB) {
		t.Fatalf("dns-cutover verify must name B's digest %s:\n%s", digestB, tail(out, 30))
	}
	if out := runDocBlock(t, sb, dns[1], copyDir, values); !strings.Contains(out, digestB) {
		t.Fatalf("dns-cutover: the chart's weight step must deploy B's digest %s to EKS:\n%s", digestB, tail(out, 40))
	}

	// The secret-rotation runbook (docs/runbooks/secret-rotation.md): a new token version, both runtimes
	// restarted on the same digest, verify, then the bad-value rollback of the version stages.
	rot := docBlocks(t, "docs/runbooks/secret-rotation.md")
	if len(rot) != 4 {
		t.Fatalf("secret-rotation.md: want 4 blocks run here (write, restart, verify, roll back), found %d", len(rot))
	}
	secretID := "demo-app/local/app-auth-token"
	sm := secretsmanager.NewFromConfig(sb.AWSConfig())
	before, err := sm.GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(secretID)})
	if err != nil {
		t.Fatalf("the sandbox seeds %s: %v", secretID, err)
	}
	runDocBlock(t, sb, rot[0], copyDir, values)
	after, err := sm.GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(secretID)})
	if err != nil || aws.ToString(after.VersionId) == aws.ToString(before.VersionId) || aws.ToString(after.SecretString) == aws.ToString(before.SecretString) {
		t.Fatalf("secret-rotation step 1 must write a new current version (before %s, after %+v, %v)", aws.ToString(before.VersionId), after, err)
	}
	tdRestart, _ := ecsImage(t, sb, env)
	revRestart := newest().Revision
	if out := runDocBlock(t, sb, rot[1], copyDir, values); !strings.Contains(out, "restart") {
		t.Fatalf("secret-rotation restart must report what it replaced:\n%s", tail(out, 40))
	}
	if td, img := ecsImage(t, sb, env); td != tdRestart || !strings.HasSuffix(img, "@"+digestB) {
		t.Fatalf("a restart keeps the revision and the digest: %s (%s), want %s with %s", td, img, tdRestart, digestB)
	}
	if rev := newest().Revision; rev != revRestart {
		t.Fatalf("a restart makes no Helm revision: %d → %d", revRestart, rev)
	}
	if out := runDocBlock(t, sb, rot[2], copyDir, values); !strings.Contains(out, digestB) {
		t.Fatalf("secret-rotation verify must name B's digest %s:\n%s", digestB, tail(out, 30))
	}
	values["previous version id"] = aws.ToString(before.VersionId)
	values["current version id"] = aws.ToString(after.VersionId)
	runDocBlock(t, sb, rot[3], copyDir, values)
	back, err := sm.GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(secretID)})
	if err != nil || aws.ToString(back.VersionId) != aws.ToString(before.VersionId) {
		t.Fatalf("secret-rotation rollback must make the previous version current again: %+v %v", back, err)
	}
}

func appendFile(t *testing.T, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
}

// TestBrokenChartFailsBeforeTheCluster: a chart that does not render fails deploy-eks before any
// release revision is written.
func TestBrokenChartFailsBeforeTheCluster(t *testing.T) {
	sb := sandboxtest.Env(t)
	requireDagger(t, sb)
	root := repoRoot(t)
	copyDir := cloneRepo(t, root, func(dir string) {
		tpl := filepath.Join(dir, "charts", "demo-app", "templates", "zz-broken.yaml")
		if err := os.WriteFile(tpl, []byte("{{ .Values.this.does.not.exist }}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	})
	before := helmHistory(t, sb)
	art := writeArtifact(t, sb, copyDir)
	out, err := daggerLocal(t, sb, copyDir, "deploy-eks", "--artifact", art)
	if err == nil {
		t.Fatalf("deploy-eks with a broken chart must fail:\n%s", tail(out, 40))
	}
	if !strings.Contains(out, "render") {
		t.Fatalf("the failure must say the chart did not render:\n%s", tail(out, 40))
	}
	if after := helmHistory(t, sb); len(after) != len(before) {
		t.Fatalf("the cluster was touched: history %d → %d revisions", len(before), len(after))
	}
}

// cloneRepo copies the tracked files (with uncommitted changes) to a temp dir, lets edit change them,
// and commits the result in the copy's own git repository (so it has its own commit SHA).
func cloneRepo(t testing.TB, root string, edit func(dir string)) string {
	t.Helper()
	dir := t.TempDir()
	run := func(d string, name string, args ...string) {
		cmd := exec.Command(name, args...)
		cmd.Dir = d
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
	}
	run(root, "sh", "-c", fmt.Sprintf("git ls-files -z | xargs -0 cp --parents -t %q", dir))
	for _, keep := range []string{".sandbox"} { // the sandbox's kubeconfig and env file
		run(root, "ln", "-s", filepath.Join(root, keep), filepath.Join(dir, keep))
	}
	edit(dir)
	run(dir, "git", "init", "-q")
	run(dir, "git", "-c", "user.email=e2e@test", "-c", "user.name=e2e", "add", "-A")
	run(dir, "git", "-c", "user.email=e2e@test", "-c", "user.name=e2e", "commit", "-qm", "copy")
	return dir
}

// writeArtifact publishes the copy's image and writes its artifact.json into the copy.
func writeArtifact(t *testing.T, sb *sandboxtest.Sandbox, dir string) string {
	t.Helper()
	out, err := daggerLocal(t, sb, dir, "publish", "-o", filepath.Join(dir, "artifact.json"))
	if err != nil {
		t.Fatalf("publish: %v\n%s", err, tail(out, 40))
	}
	if _, err := artifact.Read(filepath.Join(dir, "artifact.json")); err != nil {
		t.Fatalf("publish wrote a bad artifact: %v", err)
	}
	return filepath.Join(dir, "artifact.json")
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// TestBadInputFailsBeforeAnyStep: what a user gets wrong is named before anything runs.
func TestBadInputFailsBeforeAnyStep(t *testing.T) {
	sb := sandboxtest.Env(t)
	requireDagger(t, sb)
	root := repoRoot(t)
	services := []string{"--aws-endpoint", "tcp://" + strings.TrimPrefix(sb.AWSEndpoint, "http://"),
		"--kube-api", "tcp://127.0.0.1:6443", "--registry", "tcp://" + sb.Registry, "--kubeconfig", "file://" + sb.Kubeconfig}
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"unknown environment", append(services, "deploy", "--env", "nope"), `unknown environment "nope"`},
		{"missing credentials", append(services, "deploy", "--env", "staging"), "missing AWS credentials"},
		{"plain secret", append(append([]string{}, services...), "--aws-access-key-id", "env://HOME", "--aws-secret-access-key", "AKIAPLAINVALUE", "deploy", "--env", "staging"), "plain values are refused"},
		{"unresolvable image", append(append([]string{}, services...), "--go-image", sb.Registry+"/base/absent:1", "deploy", "--env", "local"), "base image " + sb.Registry + "/base/absent:1 cannot be resolved"},
		{"local without services", []string{"deploy", "--env", "local"}, "runs against the local sandbox: pass"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, sb.Vars[sandbox.EnvDaggerCLI], append([]string{"call"}, tc.args...)...)
			cmd.Dir = root
			cmd.Env = append(sb.Environ(), "DAGGER_NO_NAG=1")
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("must fail:\n%s", tail(string(out), 20))
			}
			if !strings.Contains(string(out), tc.want) {
				t.Fatalf("want %q in:\n%s", tc.want, tail(string(out), 20))
			}
			if strings.Contains(string(out), "Delivery.publish") || strings.Contains(string(out), "dockerBuild") {
				t.Fatalf("a step ran before the error:\n%s", tail(string(out), 20))
			}
		})
	}
}

// TestPromoteLocal: deploy an artifact another environment published, by digest, without building. The
// second environment is a copy of local whose image repository differs, so the deploy must copy the
// image into its own repository (same registry here; across accounts with the twin accounts).
func TestPromoteLocal(t *testing.T) {
	sb := sandboxtest.Env(t)
	requireDagger(t, sb)
	root := repoRoot(t)
	dir := cloneRepo(t, root, func(dir string) {
		raw, err := os.ReadFile(filepath.Join(dir, "environments", "local", "delivery.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		y := strings.Replace(strings.Replace(string(raw), "name: local\n", "name: promoted\n", 1), "repository: demo-app\n", "repository: demo-app-promoted\n", 1)
		if y == string(raw) || !strings.Contains(y, "demo-app-promoted") {
			t.Fatalf("could not derive the second environment from:\n%s", raw)
		}
		if err := os.MkdirAll(filepath.Join(dir, "environments", "promoted"), 0o755); err != nil {
			t.Fatal(err)
		}
		cp := exec.Command("cp", "-r", // the trailing /. copies the contents (filepath.Join would clean it away)
			filepath.Join(dir, "environments", "local")+"/.", filepath.Join(dir, "environments", "promoted"))
		if out, err := cp.CombinedOutput(); err != nil {
			t.Fatalf("copy the environment: %v\n%s", err, out)
		}
		if err := os.WriteFile(filepath.Join(dir, "environments", "promoted", "delivery.yaml"), []byte(y), 0o644); err != nil {
			t.Fatal(err)
		}
	})
	// docs/pipeline.md's block, as written, in the copy: publish in local, deploy that artifact.json
	// to the second environment.
	bs := docBlocks(t, "docs/pipeline.md")
	if len(bs) != 1 {
		t.Fatalf("docs/pipeline.md: want one block run here, found %d", len(bs))
	}
	outs := runDocBlockLines(t, sb, bs[0], dir, nil)
	if len(outs) != 2 {
		t.Fatalf("docs/pipeline.md: want two commands (publish, deploy --artifact), found %d", len(outs))
	}
	out := outs[1]
	art := filepath.Join(dir, "artifact.json")
	source, err := artifact.Read(art)
	if err != nil {
		t.Fatalf("the block's publish must write artifact.json: %v", err)
	}
	t.Setenv("DELIVERY_ENV", "promoted")
	want := sb.Registry + "/demo-app-promoted@" + source.Digest()
	if summaryDigest(out) != source.Digest() || !strings.Contains(out, "image    "+want) || !strings.Contains(out, "promoted from "+source.Repository()) {
		t.Fatalf("the promoted deploy must run the same digest from its own repository (%s):\n%s", want, tail(out, 40))
	}
	if strings.Contains(out, "dockerBuild") || strings.Contains(out, "release image push") || strings.Contains(out, "publish      ") {
		t.Fatalf("a promotion must not build or push a build:\n%s", tail(out, 60))
	}
	reg, err := image.Plain(sb.Registry)
	if err != nil {
		t.Fatal(err)
	}
	res, err := image.ResolveTag(context.Background(), reg, sb.Registry+"/demo-app-promoted", source.Tag())
	if err != nil || res.Image.Digest() != source.Digest() {
		t.Fatalf("the promoted repository must hold the same digest under the commit's tag: %+v %v", res, err)
	}
	env, err := environment.Load(dir, "promoted")
	if err != nil {
		t.Fatal(err)
	}
	if _, img := ecsImage(t, sb, env); img != want {
		t.Fatalf("ECS runs %s, want %s", img, want)
	}
	// A deploy-ecs of the unpromoted artifact is refused: its image lies outside the repository.
	if out, err := daggerLocal(t, sb, dir, "deploy-ecs", "--artifact", art); err == nil || !strings.Contains(out, "outside the environment's repository") {
		t.Fatalf("a deploy of another repository's image must be refused (err %v):\n%s", err, tail(out, 30))
	}
	// The same promotion again changes nothing and exits 0.
	again, err := daggerLocal(t, sb, dir, "deploy", "--artifact", art)
	if err != nil || !strings.Contains(again, "deploy promoted: no change") || !strings.Contains(again, "(promoted before)") {
		t.Fatalf("re-running the promotion must change nothing (err %v):\n%s", err, tail(again, 40))
	}
}
