//go:build integration

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/random"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/platformteam/delivery/internal/sandbox"
	"github.com/platformteam/delivery/internal/sandbox/kube/kwokstages"
	"github.com/platformteam/delivery/internal/sandbox/sandboxtest"
	"github.com/platformteam/delivery/pkg/artifact"
	"github.com/platformteam/delivery/pkg/supplychain/signing"
)

// cli runs the built release binary with the sandbox's environment and returns stdout and the exit code.
func cli(t *testing.T, bin string, env []string, dir string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir, cmd.Env = dir, env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	t.Logf("release %s → exit %d\n%s", strings.Join(args, " "), code, stderr.String())
	return stdout.String(), code
}

// The whole release flow through the CLI, as a pipeline runs it: push, artifact, ECS (moto), EKS
// (sandbox cluster), verify, a bad EKS deploy rolled back, rollback and history.
func TestReleaseCLIEndToEnd(t *testing.T) {
	s := sandboxtest.Env(t)
	ctx := context.Background()
	name := sandboxtest.UniqueName("rel-cli")
	root := t.TempDir()
	bin := filepath.Join(root, "release")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}

	// ECS service on moto for this test only.
	client := ecs.NewFromConfig(s.AWSConfig())
	if _, err := client.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String(name),
		ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("app"), Image: aws.String("placeholder:1"), Memory: aws.Int32(128)}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String(name), ServiceName: aws.String("demo-app"),
		TaskDefinition: aws.String(name + ":1"), DesiredCount: aws.Int32(int32(sandbox.MotoRunningTasks)), LaunchType: types.LaunchTypeEc2}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Kube(t).CoreV1().Namespaces().Delete(context.Background(), name, metav1.DeleteOptions{}) })

	// A repository root with one environment, the test chart, and an image built "elsewhere". Its
	// signing key (an in-memory KMS) is what the environment's deploy gate trusts.
	signer := testKMS(t, "123456789012")
	key, err := signing.KMSPublicKey(ctx, signer, "alias/demo-app-test-signing")
	must(t, err)
	envDir := filepath.Join(root, "environments", "e2e")
	must(t, os.MkdirAll(envDir, 0o755))
	must(t, os.WriteFile(filepath.Join(envDir, "backend.hcl"), []byte("bucket = \"x\"\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(envDir, "delivery.yaml"), []byte(`
account_id: "123456789012"
region: `+s.Region+`
image: {repository: `+name+`}
ecs: {cluster: `+name+`, service: demo-app, container: app, timeout: 1m}
eks: {cluster: `+name+`, namespace: `+name+`, release: demo-app, chart: chart, values_files: [chart/values-test.yaml], timeout: 1m}
endpoints: {aws: "`+s.AWSEndpoint+`", registry: "`+s.Registry+`"}
`+trustKey(t, root, "e2e", key)), 0o644))
	// The same services, but a repository the sandbox's platforms cannot pull from (its name carries the
	// pull-fail marker): a deploy refuses images outside the environment's repository, so a failing
	// image is deployed through an environment whose repository it lies in.
	badDir := filepath.Join(root, "environments", "e2e-pull-fail")
	must(t, os.MkdirAll(badDir, 0o755))
	must(t, os.WriteFile(filepath.Join(badDir, "backend.hcl"), []byte("bucket = \"x\"\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(badDir, "delivery.yaml"), []byte(`
account_id: "123456789012"
region: `+s.Region+`
image: {repository: `+kwokstages.PullFailMarker+"/"+name+`}
ecs: {cluster: `+name+`, service: demo-app, container: app, timeout: 1m}
eks: {cluster: `+name+`, namespace: `+name+`, release: demo-app, chart: chart, values_files: [chart/values-test.yaml], timeout: 1m}
endpoints: {aws: "`+s.AWSEndpoint+`", registry: "`+s.Registry+`"}
`+trustKey(t, root, "e2e-pull-fail", key)), 0o644))
	copyDir(t, "../../pkg/helmdeploy/testdata/chart", filepath.Join(root, "chart"))
	img, _ := random.Image(512, 1)
	p, err := layout.Write(filepath.Join(root, "oci"), empty.Index)
	must(t, err)
	must(t, p.AppendImage(img))
	want, _ := img.Digest()
	env := append(s.Environ(), "GITHUB_SHA=0123456789abcdef0123456789abcdef01234567", "CODEBUILD_RESOLVED_SOURCE_VERSION=")

	base := []string{"--env", "e2e", "--root", root, "--json"}
	run := func(args ...string) (string, int) { return cli(t, bin, env, root, append(args, base...)...) }
	runPullFail := func(args ...string) (string, int) {
		return cli(t, bin, env, root, append(args, "--env", "e2e-pull-fail", "--root", root, "--json")...)
	}

	if out, code := run("image", "push", "--source", filepath.Join(root, "oci")); code != 0 || !strings.Contains(out, want.String()) {
		t.Fatalf("push: %d %s", code, out)
	}
	a, err := artifact.Read(filepath.Join(root, "artifact.json"))
	if err != nil || a.Digest() != want.String() || a.Tag() != "0123456" || a.Repository() != s.Registry+"/"+name {
		t.Fatalf("artifact %+v %v", a, err)
	}
	// Pushed without a build record, so nothing signed it: the deploy gate refuses it before any call.
	if _, code := run("ecs", "deploy"); code != exitFailed {
		t.Fatalf("ecs deploy of an unsigned image: exit %d, want %d", code, exitFailed)
	}
	attestWith(t, signer, a.Image.Ref(), "0123456789abcdef0123456789abcdef01234567")
	if out, code := run("artifact", "write", "--ref", a.Repository()+":0123456@"+a.Digest(), "--artifact", "again.json"); code != 0 || !strings.Contains(out, a.Digest()) {
		t.Fatalf("artifact write: %d %s", code, out)
	}
	// The same registry reached through an alias (as from inside a container) is recorded canonically.
	alias := strings.Replace(s.Registry, "127.0.0.1", "localhost", 1)
	if _, code := run("artifact", "write", "--registry", alias, "--ref", alias+"/"+name+":0123456@"+a.Digest(), "--artifact", "alias.json"); code != 0 {
		t.Fatalf("artifact write via alias: %d", code)
	}
	if viaAlias, err := artifact.Read(filepath.Join(root, "alias.json")); err != nil || viaAlias.Repository() != a.Repository() {
		t.Fatalf("alias artifact %+v %v", viaAlias, err)
	}
	if out, code := run("ecs", "diff"); code != 0 || !strings.Contains(out, "containerDefinitions[app].image") {
		t.Fatalf("ecs diff: %d %s", code, out)
	}
	// The sandbox plays the rollout out (moto behind internal/fake/ecs/rollout): the deploy completes (exit 0)...
	out, code := run("ecs", "deploy")
	var ecsRes struct{ Outcome, Failure string }
	json.Unmarshal([]byte(out), &ecsRes)
	if code != exitOK || ecsRes.Outcome != "deployed" {
		t.Fatalf("ecs deploy: %d %s", code, out)
	}
	// ... and an image ECS cannot start trips the circuit breaker: a failure, restored (exit 3).
	ecsBad, err := a.Promoted(s.Registry + "/" + kwokstages.PullFailMarker + "/" + name)
	must(t, err)
	must(t, artifact.Write(filepath.Join(root, "ecs-bad.json"), ecsBad))
	attestFrom(t, signer, ecsBad.Image.Ref(), a.Image.Ref(), "0123456789abcdef0123456789abcdef01234567") // signed: the gate lets it through to fail
	out, code = runPullFail("ecs", "deploy", "--artifact", "ecs-bad.json")
	ecsRes = struct{ Outcome, Failure string }{}
	json.Unmarshal([]byte(out), &ecsRes)
	if code != exitRolledBack || ecsRes.Outcome != "rolled-back" || ecsRes.Failure != "circuit-breaker" {
		t.Fatalf("ecs deploy of a failing image: %d %s", code, out)
	}

	out, code = run("eks", "deploy")
	var eksRes struct {
		Outcome     string
		NewRevision int `json:"new_revision"`
	}
	json.Unmarshal([]byte(out), &eksRes)
	if code != 0 || eksRes.Outcome != "deployed" || eksRes.NewRevision != 1 {
		t.Fatalf("eks deploy: %d %s", code, out)
	}
	if out, code := run("verify", "--platform", "eks"); code != 0 || !strings.Contains(out, `"mismatches": 0`) {
		t.Fatalf("verify: %d %s", code, out)
	}

	// A bad image fails fast and is rolled back (exit 3); verify against its artifact then fails (exit 5).
	bad, err := a.Promoted(s.Registry + "/" + kwokstages.PullFailMarker + "/" + name)
	must(t, err)
	must(t, artifact.Write(filepath.Join(root, "bad.json"), bad))
	attestFrom(t, signer, bad.Image.Ref(), a.Image.Ref(), "0123456789abcdef0123456789abcdef01234567")
	if _, code := runPullFail("eks", "deploy", "--artifact", "bad.json"); code != exitRolledBack {
		t.Fatalf("bad eks deploy: exit %d, want %d", code, exitRolledBack)
	}
	if _, code := runPullFail("verify", "--platform", "eks", "--artifact", "bad.json"); code != exitMismatch {
		t.Fatalf("verify of the rolled-back image: exit %d, want %d", code, exitMismatch)
	}
	if out, code := run("eks", "rollback", "--to", "1"); code != 0 || !strings.Contains(out, `"target": 1`) {
		t.Fatalf("eks rollback: %d %s", code, out)
	}
	out, code = run("eks", "history")
	var hist []struct{ Revision int }
	json.Unmarshal([]byte(out), &hist)
	if code != 0 || len(hist) != 4 || hist[0].Revision != 4 {
		t.Fatalf("history: %d %s", code, out)
	}
	// Bad input: a missing values file is reported before the cluster is touched.
	if _, code := run("eks", "deploy", "--chart", filepath.Join(root, "nope")); code != exitFailed {
		t.Fatalf("missing chart: exit %d", code)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		if info.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		in, err := os.Open(path)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.Create(target)
		if err != nil {
			return err
		}
		defer out.Close()
		_, err = io.Copy(out, in)
		return err
	})
	must(t, err)
}
