//go:build integration

package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/random"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/platformteam/delivery/internal/sandbox"
	"github.com/platformteam/delivery/internal/sandbox/sandboxtest"
	"github.com/platformteam/delivery/pkg/artifact"
	"github.com/platformteam/delivery/pkg/deploylock"
	"github.com/platformteam/delivery/pkg/release/api"
	"github.com/platformteam/delivery/pkg/supplychain/signing"
)

// releaseProc is a release command running in the background; its stderr is collected line by line.
type releaseProc struct {
	cmd    *exec.Cmd
	stdout bytes.Buffer
	mu     sync.Mutex
	stderr strings.Builder
	lines  chan string
	done   chan struct{}
	code   int
}

func startCLI(t *testing.T, bin string, env []string, dir string, args ...string) *releaseProc {
	t.Helper()
	p := &releaseProc{cmd: exec.Command(bin, args...), lines: make(chan string, 256), done: make(chan struct{})}
	p.cmd.Dir, p.cmd.Env, p.cmd.Stdout = dir, env, &p.stdout
	pipe, err := p.cmd.StderrPipe()
	must(t, err)
	must(t, p.cmd.Start())
	go func() {
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			p.mu.Lock()
			p.stderr.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
			select {
			case p.lines <- sc.Text():
			default:
			}
		}
		err := p.cmd.Wait()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			p.code = ee.ExitCode()
		} else if err != nil {
			p.code = -1
		}
		close(p.done)
	}()
	return p
}

// waitFor waits until the process prints a stderr line containing s.
func (p *releaseProc) waitFor(t *testing.T, s string, within time.Duration) {
	t.Helper()
	deadline := time.After(within)
	for {
		select {
		case line := <-p.lines:
			if strings.Contains(line, s) {
				return
			}
		case <-p.done:
			t.Fatalf("exited (%d) before printing %q:\n%s", p.code, s, p.errText())
		case <-deadline:
			t.Fatalf("no %q within %s:\n%s", s, within, p.errText())
		}
	}
}

func (p *releaseProc) wait(t *testing.T, within time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(within):
		_ = p.cmd.Process.Kill()
		t.Fatalf("still running after %s:\n%s", within, p.errText())
	}
	t.Logf("release %s → exit %d\n%s", strings.Join(p.cmd.Args[1:], " "), p.code, p.errText())
	return p.code
}

func (p *releaseProc) errText() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

func decodeJSON[T any](t *testing.T, what, out string) T {
	t.Helper()
	v, err := api.Decode[T]([]byte(out))
	if err != nil {
		t.Fatalf("%s: %v\n%s", what, err, out)
	}
	return v
}

// The secret-rotation runbook's step 2 (docs/runbooks/secret-rotation.md) on the sandbox, through the
// CLI, and one deploy at a time: restart replaces every ECS task and every pod with ones running the
// same digest, history shows what runs; of two runs on one service exactly one proceeds — the other
// refuses naming the holder (who, commit, since when) or waits for it — and no lock is left after a
// run ends, also when it is interrupted (SIGINT).
func TestReleaseCLIRestartHistoryAndOneAtATime(t *testing.T) {
	s := sandboxtest.Env(t)
	ctx := context.Background()
	name := sandboxtest.UniqueName("rel-restart")
	root := t.TempDir()
	bin := filepath.Join(root, "release")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
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

	// The environment's deploy gate trusts a test signing key (an in-memory KMS); the pushed image is
	// signed and attested with it below, as publish does.
	signer := testKMS(t, "123456789012")
	key, err := signing.KMSPublicKey(ctx, signer, "alias/demo-app-test-signing")
	must(t, err)
	// The environment is named after the test, so its lock keys are its own.
	envName := "restart-" + name[len(name)-6:]
	envDir := filepath.Join(root, "environments", envName)
	must(t, os.MkdirAll(envDir, 0o755))
	must(t, os.WriteFile(filepath.Join(envDir, "backend.hcl"), []byte("bucket = \"x\"\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(envDir, "delivery.yaml"), []byte(`
account_id: "123456789012"
region: `+s.Region+`
image: {repository: `+name+`}
ecs: {cluster: `+name+`, service: demo-app, container: app, timeout: 1m}
eks: {cluster: `+name+`, namespace: `+name+`, release: demo-app, chart: chart, values_files: [chart/values-test.yaml], timeout: 1m}
endpoints: {aws: "`+s.AWSEndpoint+`", registry: "`+s.Registry+`"}
`+trustKey(t, root, envName, key)), 0o644))
	copyDir(t, "../../pkg/helmdeploy/testdata/chart", filepath.Join(root, "chart"))
	img, _ := random.Image(512, 1)
	lp, err := layout.Write(filepath.Join(root, "oci"), empty.Index)
	must(t, err)
	must(t, lp.AppendImage(img))
	env := append(s.Environ(), "GITHUB_SHA=0123456789abcdef0123456789abcdef01234567", "CODEBUILD_RESOLVED_SOURCE_VERSION=", "GITHUB_RUN_ID=", "CODEBUILD_BUILD_ID=")
	base := []string{"--env", envName, "--root", root, "--json"}
	run := func(args ...string) (string, int) { return cli(t, bin, env, root, append(args, base...)...) }
	start := func(args ...string) *releaseProc { return startCLI(t, bin, env, root, append(args, base...)...) }

	if out, code := run("image", "push", "--source", filepath.Join(root, "oci")); code != 0 {
		t.Fatalf("push: %d %s", code, out)
	}
	a, err := artifact.Read(filepath.Join(root, "artifact.json"))
	must(t, err)
	attestWith(t, signer, a.Image.Ref(), "0123456789abcdef0123456789abcdef01234567")
	if out, code := run("ecs", "deploy"); code != 0 {
		t.Fatalf("ecs deploy: %d %s", code, out)
	}
	if out, code := run("eks", "deploy"); code != 0 {
		t.Fatalf("eks deploy: %d %s", code, out)
	}

	// Runbook step 2: restart both runtimes; the same artifact again would be `unchanged`.
	began := time.Now()
	out, code := run("ecs", "restart", "--lock-owner", "runbook")
	ecsRestart := decodeJSON[api.ECSRestart](t, "ecs restart", out)
	t.Logf("ecs restart took %s", time.Since(began).Round(time.Millisecond))
	if code != 0 || len(ecsRestart.Before) == 0 || !api.Replaced(ecsRestart.Before, ecsRestart.After) || len(ecsRestart.After) != len(ecsRestart.Before) {
		t.Fatalf("ecs restart did not replace every task: %d %s", code, out)
	}
	for _, task := range append(append([]api.RunningTask{}, ecsRestart.Before...), ecsRestart.After...) {
		if task.Digest != a.Digest() {
			t.Fatalf("task %s runs %q, want the artifact's %s", task.Name, task.Digest, a.Digest())
		}
	}
	if api.ShortARN(ecsRestart.TaskDefinition) != name+":2" {
		t.Fatalf("restart changed the task definition: %s", ecsRestart.TaskDefinition)
	}
	began = time.Now()
	out, code = run("eks", "restart", "--lock-owner", "runbook")
	eksRestart := decodeJSON[api.EKSRestart](t, "eks restart", out)
	t.Logf("eks restart took %s", time.Since(began).Round(time.Millisecond))
	if code != 0 || eksRestart.Revision != 1 || len(eksRestart.Before) == 0 || !api.Replaced(eksRestart.Before, eksRestart.After) {
		t.Fatalf("eks restart did not replace every pod: %d %s", code, out)
	}
	pods, err := s.Kube(t).CoreV1().Pods(name).List(ctx, metav1.ListOptions{})
	must(t, err)
	for _, p := range pods.Items {
		if p.DeletionTimestamp != nil {
			continue
		}
		if img := p.Spec.Containers[0].Image; !strings.HasSuffix(img, "@"+a.Digest()) {
			t.Fatalf("pod %s runs %s, want the artifact's digest", p.Name, img)
		}
	}
	// Runbook step 3: what runs is still the artifact.
	if out, code := run("verify"); code != 0 {
		t.Fatalf("verify after the restarts: %d %s", code, out)
	}
	out, code = run("ecs", "history")
	hist := decodeJSON[api.ECSHistory](t, "ecs history", out)
	if code != 0 || len(hist.Revisions) != 2 || !hist.Revisions[0].Current || hist.Revisions[0].Revision != 2 || !strings.HasSuffix(hist.Revisions[0].Image, a.Digest()) {
		t.Fatalf("ecs history: %d %s", code, out)
	}
	out, code = run("eks", "history")
	revs := decodeJSON[[]api.EKSRevision](t, "eks history", out)
	if code != 0 || len(revs) != 1 || revs[0].Status != "deployed" || !strings.HasSuffix(revs[0].Image, a.Digest()) {
		t.Fatalf("eks history: %d %s", code, out)
	}

	// One at a time: holder A restarts; B will not wait and is refused naming A; C waits for A.
	holder := start("ecs", "restart", "--lock-owner", "deploy-a")
	holder.waitFor(t, "deploy lock "+envName+"/ecs/demo-app taken", time.Minute)
	waiter := start("ecs", "restart", "--lock-timeout", "2m", "--lock-owner", "deploy-c")
	refused := start("ecs", "deploy", "--lock-timeout", "0", "--lock-owner", "deploy-b")
	refusedCode := refused.wait(t, time.Minute)
	if c := holder.wait(t, 2*time.Minute); c != 0 {
		t.Fatalf("holder: exit %d", c)
	}
	if c := waiter.wait(t, 2*time.Minute); c != 0 {
		t.Fatalf("waiting restart: exit %d", c)
	}
	wantHolder := "another deploy holds " + envName + "/ecs/demo-app: deploy-a (commit restart) since "
	if refusedCode != exitFailed || refused.stdout.Len() != 0 || !strings.Contains(refused.errText(), wantHolder) {
		t.Fatalf("the second deploy was not refused naming the holder: exit %d %s", refusedCode, refused.stdout.String())
	}
	a1 := decodeJSON[api.ECSRestart](t, "holder", holder.stdout.String())
	c1 := decodeJSON[api.ECSRestart](t, "waiter", waiter.stdout.String())
	// C began only after A ended: the tasks C replaced are those A started.
	if !equalTasks(c1.Before, a1.After) || !api.Replaced(c1.Before, c1.After) {
		t.Fatalf("the runs overlapped: A %v → %v, C %v → %v", a1.Before, a1.After, c1.Before, c1.After)
	}
	if !strings.Contains(waiter.errText(), "is held by deploy-a (commit restart) since ") || !strings.Contains(waiter.errText(), "taken after waiting") {
		t.Fatalf("the waiting run did not name the holder:\n%s", waiter.errText())
	}
	assertNoLock(t, s, envName+"/ecs/demo-app")

	// A run interrupted (SIGINT) while it holds the lock still releases it.
	interrupted := start("ecs", "restart", "--lock-owner", "deploy-d")
	interrupted.waitFor(t, "deploy lock "+envName+"/ecs/demo-app taken", time.Minute)
	must(t, interrupted.cmd.Process.Signal(syscall.SIGINT))
	if c := interrupted.wait(t, time.Minute); c == 0 {
		t.Logf("the interrupted restart finished before the signal")
	}
	assertNoLock(t, s, envName+"/ecs/demo-app")
	assertNoLock(t, s, envName+"/eks/demo-app")
}

func equalTasks(a, b []api.RunningTask) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Name != b[i].Name {
			return false
		}
	}
	return true
}

// assertNoLock fails when the deploy lock key is still held in the sandbox's SSM.
func assertNoLock(t *testing.T, s *sandboxtest.Sandbox, key string) {
	t.Helper()
	_, err := ssm.NewFromConfig(s.AWSConfig()).GetParameter(context.Background(), &ssm.GetParameterInput{Name: aws.String(deploylock.DefaultSSMPrefix + "/" + key)})
	var nf *ssmtypes.ParameterNotFound
	if !errors.As(err, &nf) {
		t.Fatalf("deploy lock %s left behind (or unreadable): %v", key, err)
	}
}
