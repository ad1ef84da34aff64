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

	"helm.sh/helm/v3/pkg/release"
	helmtime "helm.sh/helm/v3/pkg/time"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/platformteam/delivery/internal/sandbox/kube/kwokstages"
	"github.com/platformteam/delivery/internal/sandbox/sandboxtest"
	"github.com/platformteam/delivery/pkg/release/api"
	"github.com/platformteam/delivery/pkg/verify"
)

const (
	goodDigest  = "sha256:4444444444444444444444444444444444444444444444444444444444444444"
	otherDigest = "sha256:5555555555555555555555555555555555555555555555555555555555555555"
)

type helmRig struct {
	t         *testing.T
	sandbox   *sandboxtest.Sandbox
	namespace string
	deployer  *Deployer
	out       *strings.Builder
}

func newHelmRig(t *testing.T) *helmRig {
	t.Helper()
	s := sandboxtest.Env(t)
	ns := sandboxtest.UniqueName("rel-helm")
	access, err := FromKubeconfig(s.Kubeconfig, ns)
	if err != nil {
		t.Fatal(err)
	}
	out := &strings.Builder{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("deploy output:\n%s", out.String())
		}
		s.Kube(t).CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{})
	})
	return &helmRig{t: t, sandbox: s, namespace: ns, deployer: &Deployer{Access: access, Out: out}, out: out}
}

func (r *helmRig) request(repository, digest string, timeout time.Duration, values ...string) Request {
	return Request{Release: "demo-app", Namespace: r.namespace, Chart: "testdata/chart",
		ValuesFiles: append([]string{"testdata/chart/values-test.yaml"}, values...),
		Image:       imageValues(repository, digest),
		Timeout:     timeout}
}

func (r *helmRig) repo() string { return r.sandbox.Registry + "/demo-app" }

func (r *helmRig) deploy(req Request) api.EKSResult {
	r.t.Helper()
	res, err := r.deployer.Deploy(context.Background(), req)
	if err != nil {
		r.t.Fatalf("deploy: %v", err)
	}
	return res
}

func TestHelmInstallUpgradeRollbackHistoryVerify(t *testing.T) {
	r := newHelmRig(t)
	first := r.deploy(r.request(r.repo(), goodDigest, time.Minute))
	if first.Action != "install" || first.OldRevision != 0 || first.NewRevision != 1 || first.Outcome != api.Deployed {
		t.Fatalf("install %+v", first)
	}
	second := r.deploy(r.request(r.repo(), otherDigest, time.Minute))
	if second.Action != "upgrade" || second.OldRevision != 1 || second.NewRevision != 2 {
		t.Fatalf("upgrade %+v", second)
	}
	if !strings.Contains(r.out.String(), "revision 1 → 2") {
		t.Fatalf("no old → new line:\n%s", r.out)
	}
	report := waitVerified(t, r, otherDigest)
	if len(report.Checks) != 1 {
		t.Fatalf("verify %+v", report)
	}

	back, err := r.deployer.Rollback(context.Background(), RollbackRequest{Release: "demo-app", Namespace: r.namespace, Timeout: time.Minute})
	if err != nil || back.From != 2 || back.Target != 1 || back.To != 3 {
		t.Fatalf("rollback %+v %v", back, err)
	}
	waitVerified(t, r, goodDigest)
	if _, err := r.deployer.Rollback(context.Background(), RollbackRequest{Release: "demo-app", Namespace: r.namespace, To: 9, Timeout: time.Minute}); err == nil ||
		!strings.Contains(err.Error(), "no revision 9") {
		t.Fatalf("unknown revision: %v", err)
	}
	hist, err := r.deployer.History(context.Background(), "demo-app", r.namespace)
	if err != nil || len(hist) != 3 || hist[0].Revision != 3 || hist[0].Status != "deployed" || hist[1].Status != "superseded" {
		t.Fatalf("history %+v %v", hist, err)
	}
}

// waitVerified retries verify until the old pods are gone (the deployment controller replaces them).
func waitVerified(t *testing.T, r *helmRig, digest string) api.VerifyReport {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		report, err := verify.Pods(context.Background(), r.sandbox.Kube(t), r.namespace, verify.ReleaseSelector("demo-app"), imageValues(r.repo(), digest).Image)
		if err == nil && report.Err(false) == nil {
			return report
		}
		if time.Now().After(deadline) {
			t.Fatalf("pods never all ran %s: %v %v", digest, err, report.Err(false))
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func TestHelmBadImageFailsFastAndRollsBack(t *testing.T) {
	r := newHelmRig(t)
	r.deploy(r.request(r.repo(), goodDigest, time.Minute))
	start := time.Now()
	bad := r.request(r.sandbox.Registry+"/"+kwokstages.PullFailMarker+"/demo-app", otherDigest, 3*time.Minute)
	res, err := r.deployer.Deploy(context.Background(), bad)
	elapsed := time.Since(start)
	var failed *api.FailedError
	if !errors.As(err, &failed) || !failed.RolledBack() || res.Outcome != api.RolledBack {
		t.Fatalf("want failed + rolled back, got %v (%+v)", err, res)
	}
	if !strings.Contains(res.Reason, "ImagePullBackOff") && !strings.Contains(res.Reason, "ErrImagePull") {
		t.Fatalf("reason does not name the pull failure: %s", res.Reason)
	}
	if elapsed > time.Minute {
		t.Fatalf("fail-fast took %s of a 3m timeout", elapsed)
	}
	if res.OldRevision != 1 || res.NewRevision != 2 || res.CurrentRevision != 3 {
		t.Fatalf("revisions %+v", res)
	}
	waitVerified(t, r, goodDigest)
}

func TestHelmNeverReadyTimesOutAndRollsBack(t *testing.T) {
	r := newHelmRig(t)
	r.deploy(r.request(r.repo(), goodDigest, time.Minute))
	neverReady := filepath.Join(t.TempDir(), "never-ready.yaml")
	os.WriteFile(neverReady, []byte("neverReady: true\n"), 0o644)
	res, err := r.deployer.Deploy(context.Background(), r.request(r.repo(), otherDigest, 8*time.Second, neverReady))
	var failed *api.FailedError
	if !errors.As(err, &failed) || !failed.RolledBack() || !strings.Contains(res.Reason, "timed out") {
		t.Fatalf("want timeout + rollback, got %v (%+v)", err, res)
	}
	if res.CurrentRevision != 3 {
		t.Fatalf("revisions %+v", res)
	}
}

func TestHelmSelfHealsStuckPendingUpgrade(t *testing.T) {
	r := newHelmRig(t)
	r.deploy(r.request(r.repo(), goodDigest, time.Minute))
	// A CI job killed mid-upgrade leaves revision 2 in pending-upgrade.
	cfg, err := r.deployer.configuration(r.namespace)
	if err != nil {
		t.Fatal(err)
	}
	last, err := cfg.Releases.Last("demo-app")
	if err != nil {
		t.Fatal(err)
	}
	stuck := *last
	info := *last.Info
	stuck.Info, stuck.Version = &info, 2
	stuck.Info.Status = release.StatusPendingUpgrade
	stuck.Info.LastDeployed = helmtime.Time{Time: time.Now().Add(-time.Hour)}
	if err := cfg.Releases.Create(&stuck); err != nil {
		t.Fatal(err)
	}
	req := r.request(r.repo(), otherDigest, time.Minute)
	req.PendingThreshold = 5 * time.Minute
	res := r.deploy(req)
	if len(res.Healed) != 1 || !strings.Contains(res.Healed[0], "rolled back to revision 1") || res.Outcome != api.Deployed {
		t.Fatalf("heal %+v", res)
	}
	waitVerified(t, r, otherDigest)
}

func TestHelmRecoversFailedFirstInstall(t *testing.T) {
	r := newHelmRig(t)
	// A first install that failed without --atomic leaves a failed revision 1 that blocks upgrade --install.
	if _, err := r.sandbox.Kube(t).CoreV1().Namespaces().Create(context.Background(),
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: r.namespace}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	cfg, err := r.deployer.configuration(r.namespace)
	if err != nil {
		t.Fatal(err)
	}
	ch, _ := LoadChart("testdata/chart")
	failed := &release.Release{Name: "demo-app", Namespace: r.namespace, Version: 1, Chart: ch, Config: map[string]any{},
		Info: &release.Info{Status: release.StatusFailed, Description: "Release \"demo-app\" failed: timed out",
			FirstDeployed: helmtime.Now(), LastDeployed: helmtime.Now()}}
	if err := cfg.Releases.Create(failed); err != nil {
		t.Fatal(err)
	}
	res := r.deploy(r.request(r.repo(), goodDigest, time.Minute))
	if res.Action != "install" || len(res.Healed) != 1 || !strings.Contains(res.Healed[0], "uninstalled") || res.NewRevision != 1 {
		t.Fatalf("recover %+v", res)
	}
}

func TestHelmRejectsInvalidCredentials(t *testing.T) {
	s := sandboxtest.Env(t)
	raw, err := os.ReadFile(s.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	// Same cluster, wrong identity: swap every token for a bogus one.
	lines := strings.Split(string(raw), "\n")
	for i, l := range lines {
		if strings.Contains(l, "token:") {
			lines[i] = l[:strings.Index(l, "token:")] + "token: not-a-valid-token"
		}
	}
	bad := filepath.Join(t.TempDir(), "kubeconfig")
	os.WriteFile(bad, []byte(strings.Join(lines, "\n")), 0o600)
	access, err := FromKubeconfig(bad, "demo")
	if err != nil {
		t.Fatal(err)
	}
	d := &Deployer{Access: access}
	_, err = d.Deploy(context.Background(), Request{Release: "demo-app", Namespace: "demo", Chart: "testdata/chart",
		Image: imageValues(s.Registry+"/demo-app", goodDigest), Timeout: time.Minute})
	if err == nil || !strings.Contains(err.Error(), "cluster unreachable") {
		t.Fatalf("want a clear credentials error, got %v", err)
	}
}
