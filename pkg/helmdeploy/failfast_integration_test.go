//go:build integration

package helmdeploy

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/platformteam/delivery/internal/sandbox/kube/kwokstages"
	"github.com/platformteam/delivery/pkg/release/api"
)

// failingDeploy deploys a good revision, then req; it wants req to fail fast, rolled back, with a
// reason and a diagnosis naming want, and the good digest running again.
func failingDeploy(t *testing.T, r *helmRig, req Request, want string, within time.Duration) api.EKSResult {
	t.Helper()
	r.deploy(r.request(r.repo(), goodDigest, time.Minute))
	start := time.Now()
	res, err := r.deployer.Deploy(context.Background(), req)
	elapsed := time.Since(start)
	t.Logf("%s: failed and rolled back in %s", want, elapsed.Round(time.Millisecond))
	var failed *api.FailedError
	if !errors.As(err, &failed) || !failed.RolledBack() || res.Outcome != api.RolledBack {
		t.Fatalf("want failed + rolled back, got %v (%+v)", err, res)
	}
	if !strings.Contains(res.Reason, want) || !strings.Contains(res.Reason, "fail-fast") {
		t.Fatalf("reason does not name %s: %s", want, res.Reason)
	}
	if res.Diagnosis.Empty() || !strings.Contains(strings.Join(res.Diagnosis.Lines(), "\n"), want) {
		t.Fatalf("the diagnosis does not name %s: %+v", want, res.Diagnosis)
	}
	if elapsed > within {
		t.Fatalf("fail-fast took %s (of a %s timeout), want under %s", elapsed, req.Timeout, within)
	}
	waitVerified(t, r, goodDigest)
	return res
}

// A container that exits at once (the sandbox's crash-loop marker: exit 1, CrashLoopBackOff, restarts
// growing) fails the deploy once it restarted more than MaxRestarts times, not after the timeout.
func TestHelmCrashLoopFailsFastWithTheReason(t *testing.T) {
	r := newHelmRig(t)
	req := r.request(r.sandbox.Registry+"/"+kwokstages.CrashLoopMarker+"/demo-app", otherDigest, 3*time.Minute)
	res := failingDeploy(t, r, req, "CrashLoopBackOff", time.Minute)
	if !strings.Contains(strings.Join(res.Diagnosis.Lines(), "\n"), "exit code") {
		t.Fatalf("the diagnosis does not give the exit code of the last run: %v", res.Diagnosis.Lines())
	}
}

// A container whose environment reads a Secret that does not exist waits in CreateContainerConfigError:
// it may heal (the secret operator syncing), so the deploy gives it the grace period, then fails.
func TestHelmMissingSecretFailsAfterTheGraceWithTheReason(t *testing.T) {
	r := newHelmRig(t)
	values := filepath.Join(t.TempDir(), "missing-secret.yaml")
	if err := os.WriteFile(values, []byte("secretEnv: never-created\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	req := r.request(r.repo(), otherDigest, 3*time.Minute, values)
	failingDeploy(t, r, req, "CreateContainerConfigError", DefaultGrace+30*time.Second)
}

// One failed pull (the registry answering 503 once: the sandbox's pull-flaky marker) followed by a good
// one is transient: the deploy completes without a rollback. A pull that keeps failing is rolled back
// (TestHelmBadImageFailsFastAndRollsBack).
func TestHelmOneFailedPullDoesNotRollBack(t *testing.T) {
	r := newHelmRig(t)
	r.deploy(r.request(r.repo(), goodDigest, time.Minute))
	flaky := r.sandbox.Registry + "/" + kwokstages.PullFlakyMarker + "/demo-app"
	// Watch the new pods while the deploy runs: the failed pull must really happen.
	seen := map[string]bool{}
	stop := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		for {
			pods, err := r.sandbox.Kube(t).CoreV1().Pods(r.namespace).List(context.Background(), metav1.ListOptions{})
			if err == nil {
				for _, p := range pods.Items {
					for _, c := range p.Status.ContainerStatuses {
						if c.State.Waiting != nil && strings.Contains(c.Image, kwokstages.PullFlakyMarker) {
							seen[c.State.Waiting.Reason] = true
						}
					}
				}
			}
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	start := time.Now()
	res, err := r.deployer.Deploy(context.Background(), r.request(flaky, otherDigest, 2*time.Minute))
	t.Logf("deploy through one failed pull: %s", time.Since(start).Round(time.Millisecond))
	close(stop)
	<-watched
	if err != nil || res.Outcome != api.Deployed || res.NewRevision != 2 || res.CurrentRevision != 2 {
		t.Fatalf("one failed pull rolled the deploy back or failed it: %v (%+v)", err, res)
	}
	if !seen["ErrImagePull"] && !seen["ImagePullBackOff"] {
		t.Fatalf("no failed pull was seen on the new pods (waiting reasons %v), so the test proved nothing", seen)
	}
}
