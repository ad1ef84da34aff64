package helmdeploy

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chartutil"
	kubefake "helm.sh/helm/v3/pkg/kube/fake"
	"helm.sh/helm/v3/pkg/release"
	"helm.sh/helm/v3/pkg/storage"
	"helm.sh/helm/v3/pkg/storage/driver"
	helmtime "helm.sh/helm/v3/pkg/time"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/platformteam/delivery/pkg/artifact"
)

const testDigest = "sha256:3333333333333333333333333333333333333333333333333333333333333333"

func testImage() ImageValues {
	return imageValues("127.0.0.1:5000/demo-app", testDigest)
}

func TestComposeValuesLayersFilesThenImage(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.yaml")
	b := filepath.Join(dir, "b.yaml")
	os.WriteFile(a, []byte("replicaCount: 3\nimage: {repository: other, pullPolicy: IfNotPresent}\nenv: {APP_ENV: staging, DEPLOY_PLATFORM: ecs}\n"), 0o644)
	os.WriteFile(b, []byte("replicaCount: 4\nenv: {LOG_LEVEL: debug}\n"), 0o644)
	vals, err := ComposeValues([]string{a, b}, testImage())
	if err != nil {
		t.Fatal(err)
	}
	img := vals["image"].(map[string]any)
	env := vals["env"].(map[string]any)
	if vals["replicaCount"] != float64(4) && vals["replicaCount"] != int64(4) && vals["replicaCount"] != 4 {
		t.Fatalf("later file must win: %v", vals["replicaCount"])
	}
	if img["repository"] != "127.0.0.1:5000/demo-app" || img["digest"] != testDigest || img["pullPolicy"] != "Always" || img["tag"] != "abc1234" {
		t.Fatalf("image values %v", img)
	}
	if env["DEPLOY_PLATFORM"] != "eks" || env["APP_ENV"] != "staging" || env["LOG_LEVEL"] != "debug" || vals["buildVersion"] != "abc1234" {
		t.Fatalf("env %v buildVersion %v", env, vals["buildVersion"])
	}
}

func TestComposeValuesRejectsBadInput(t *testing.T) {
	if _, err := ComposeValues([]string{"/nonexistent/values.yaml"}, testImage()); err == nil || !strings.Contains(err.Error(), "values_files") {
		t.Fatalf("want missing-file error, got %v", err)
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("a: [1,\n"), 0o644)
	if _, err := ComposeValues([]string{bad}, testImage()); err == nil || !strings.Contains(err.Error(), "not valid YAML") {
		t.Fatalf("want YAML error, got %v", err)
	}
	if _, err := ComposeValues(nil, ImageValues{BuildVersion: "abc1234"}); err == nil || !strings.Contains(err.Error(), "pinned by digest") {
		t.Fatalf("want an unpinned-image error, got %v", err)
	}
}

func TestRenderPinsDigestAndPlatform(t *testing.T) {
	ch, err := LoadChart("testdata/chart")
	if err != nil {
		t.Fatal(err)
	}
	vals, err := ComposeValues([]string{"testdata/chart/values-test.yaml"}, testImage())
	if err != nil {
		t.Fatal(err)
	}
	manifest, err := Render(context.Background(), ch, vals, "demo-app", "demo")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`image: "127.0.0.1:5000/demo-app@` + testDigest + `"`, "imagePullPolicy: Always",
		"name: DEPLOY_PLATFORM\n              value: \"eks\"", "build-version: \"abc1234\"", "replicas: 1",
	} {
		if !strings.Contains(manifest, want) {
			t.Fatalf("manifest lacks %q:\n%s", want, manifest)
		}
	}
}

// unreachableAccess points at a closed port: any cluster call would fail with "unreachable".
func unreachableAccess(t *testing.T) *ClusterAccess {
	path := filepath.Join(t.TempDir(), "kubeconfig")
	os.WriteFile(path, []byte(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: x}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
`), 0o600)
	a, err := FromKubeconfig(path, "demo")
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestDeployChecksChartAndValuesBeforeTheCluster(t *testing.T) {
	d := &Deployer{Access: unreachableAccess(t)}
	base := Request{Release: "demo-app", Namespace: "demo", Chart: "testdata/chart", Image: testImage(), Timeout: time.Minute}

	broken := base
	broken.Chart = "testdata/broken-chart"
	if _, err := d.Deploy(context.Background(), broken); err == nil || !strings.Contains(err.Error(), "does not render") {
		t.Fatalf("want render error before any cluster call, got %v", err)
	}
	missing := base
	missing.ValuesFiles = []string{"testdata/chart/values-nope.yaml"}
	if _, err := d.Deploy(context.Background(), missing); err == nil || !strings.Contains(err.Error(), "values file") {
		t.Fatalf("want values-file error, got %v", err)
	}
	badName := base
	badName.Release = "Demo_App"
	if _, err := d.Deploy(context.Background(), badName); err == nil || !strings.Contains(err.Error(), "release name") {
		t.Fatalf("want release-name error, got %v", err)
	}
	// A good request reaches the cluster step and says the cluster is unreachable.
	if _, err := d.Deploy(context.Background(), base); err == nil || !strings.Contains(err.Error(), "cluster unreachable") {
		t.Fatalf("want unreachable-cluster error, got %v", err)
	}
}

func TestFromKubeconfigRejectsBadFiles(t *testing.T) {
	if _, err := FromKubeconfig(filepath.Join(t.TempDir(), "none"), "demo"); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Fatalf("want missing-file error, got %v", err)
	}
	bad := filepath.Join(t.TempDir(), "kubeconfig")
	os.WriteFile(bad, []byte("current-context: nowhere\n"), 0o600)
	if _, err := FromKubeconfig(bad, "demo"); err == nil || !strings.Contains(err.Error(), "invalid") {
		t.Fatalf("want invalid kubeconfig error, got %v", err)
	}
}

// memoryConfig is a Helm configuration with in-memory release storage and a fake cluster.
func memoryConfig(t *testing.T) *action.Configuration {
	t.Helper()
	return &action.Configuration{
		Releases:     storage.Init(driver.NewMemory()),
		KubeClient:   &kubefake.PrintingKubeClient{Out: io.Discard},
		Capabilities: chartutil.DefaultCapabilities,
		Log:          func(string, ...any) {},
	}
}

func addRelease(t *testing.T, cfg *action.Configuration, version int, status release.Status, age time.Duration, now time.Time) {
	t.Helper()
	ch, err := LoadChart("testdata/chart")
	if err != nil {
		t.Fatal(err)
	}
	r := &release.Release{Name: "demo-app", Namespace: "demo", Version: version, Chart: ch, Config: map[string]any{},
		Info: &release.Info{Status: status, LastDeployed: helmtime.Time{Time: now.Add(-age)}, FirstDeployed: helmtime.Time{Time: now.Add(-time.Hour)}}}
	if err := cfg.Releases.Create(r); err != nil {
		t.Fatal(err)
	}
}

func TestHealStuckPendingUpgradeRollsBackToLastGood(t *testing.T) {
	now := time.Now()
	cfg := memoryConfig(t)
	addRelease(t, cfg, 1, release.StatusSuperseded, time.Hour, now)
	addRelease(t, cfg, 2, release.StatusDeployed, 30*time.Minute, now)
	addRelease(t, cfg, 3, release.StatusPendingUpgrade, 20*time.Minute, now)
	var out strings.Builder
	did, err := healer{cfg: cfg, out: &out, now: func() time.Time { return now }, threshold: 10 * time.Minute, timeout: time.Minute}.heal("demo-app")
	if err != nil {
		t.Fatal(err)
	}
	if len(did) != 1 || !strings.Contains(did[0], "rolled back to revision 2") {
		t.Fatalf("actions %v", did)
	}
	hist, _ := cfg.Releases.History("demo-app")
	status := map[int]release.Status{}
	for _, r := range hist {
		status[r.Version] = r.Info.Status
	}
	if status[3] != release.StatusFailed || status[4] != release.StatusDeployed {
		t.Fatalf("history after heal %v", status)
	}
	// An upgrade is now allowed: nothing is pending any more.
	last, _ := cfg.Releases.Last("demo-app")
	if last.Info.Status.IsPending() {
		t.Fatal("release still pending")
	}
}

func TestHealLeavesYoungPendingReleaseAlone(t *testing.T) {
	now := time.Now()
	cfg := memoryConfig(t)
	addRelease(t, cfg, 1, release.StatusDeployed, time.Hour, now)
	addRelease(t, cfg, 2, release.StatusPendingUpgrade, time.Minute, now)
	_, err := healer{cfg: cfg, out: io.Discard, now: func() time.Time { return now }, threshold: 10 * time.Minute, timeout: time.Minute}.heal("demo-app")
	if err == nil || !strings.Contains(err.Error(), "another deploy may still be running") {
		t.Fatalf("want refusal, got %v", err)
	}
	last, _ := cfg.Releases.Last("demo-app")
	if last.Version != 2 || last.Info.Status != release.StatusPendingUpgrade {
		t.Fatal("young pending release must not be touched")
	}
}

func TestHealUninstallsFailedFirstInstallAndStuckPendingInstall(t *testing.T) {
	for _, status := range []release.Status{release.StatusFailed, release.StatusPendingInstall, release.StatusUninstalled} {
		t.Run(status.String(), func(t *testing.T) {
			now := time.Now()
			cfg := memoryConfig(t)
			addRelease(t, cfg, 1, status, time.Hour, now)
			did, err := healer{cfg: cfg, out: io.Discard, now: func() time.Time { return now }, threshold: 10 * time.Minute, timeout: time.Minute}.heal("demo-app")
			if err != nil || len(did) != 1 || !strings.Contains(did[0], "uninstalled") {
				t.Fatalf("heal: %v %v", did, err)
			}
			if _, err := cfg.Releases.History("demo-app"); err == nil {
				if h, _ := cfg.Releases.History("demo-app"); len(h) != 0 {
					t.Fatalf("release still has history: %d revisions", len(h))
				}
			}
		})
	}
}

func TestHealLeavesHealthyAndFailedUpgradeAlone(t *testing.T) {
	now := time.Now()
	cfg := memoryConfig(t)
	addRelease(t, cfg, 1, release.StatusDeployed, time.Hour, now)
	addRelease(t, cfg, 2, release.StatusFailed, time.Hour, now)
	did, err := healer{cfg: cfg, out: io.Discard, now: func() time.Time { return now }, threshold: time.Minute, timeout: time.Minute}.heal("demo-app")
	if err != nil || len(did) != 0 {
		t.Fatalf("a failed upgrade after a good revision needs no healing: %v %v", did, err)
	}
}

func TestPodFailureRules(t *testing.T) {
	pod := func(reason string, restarts int32) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", UID: "u1"}, Status: corev1.PodStatus{ContainerStatuses: []corev1.ContainerStatus{{
			Name: "app", RestartCount: restarts, State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason}}}}}}
	}
	cases := []struct {
		reason   string
		restarts int32
		// fatalAt is the first check (0 = first sight, 1 = a grace later) that fails the pod; -1 never.
		fatalAt int
	}{
		{"InvalidImageName", 0, 0}, {"ErrImageNeverPull", 0, 0},
		{"ImagePullBackOff", 0, 1}, {"ErrImagePull", 0, 1}, {"CreateContainerConfigError", 0, 1},
		{"CrashLoopBackOff", 2, -1}, {"CrashLoopBackOff", 3, 0}, {"ContainerCreating", 0, -1},
	}
	for _, tc := range cases {
		now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		c := &failFastClient{policy: FailFast{}.withDefaults(), now: func() time.Time { return now }}
		for check := 0; check <= 1; check++ {
			got := c.podFailure(pod(tc.reason, tc.restarts), nil)
			want := tc.fatalAt >= 0 && check >= tc.fatalAt
			if (got != nil) != want {
				t.Fatalf("%s with %d restarts, check %d: fatal=%v, want %v", tc.reason, tc.restarts, check, got != nil, want)
			}
			if got != nil && !strings.Contains(got.Error(), tc.reason) {
				t.Fatalf("failure %q does not name the reason", got)
			}
			if got != nil && tc.fatalAt == 1 && !strings.Contains(got.Error(), "for 20s") {
				t.Fatalf("failure after the grace %q does not say how long it lasted", got)
			}
			now = now.Add(DefaultGrace)
		}
	}
}

func TestRenderHonoursKubeVersionConstraints(t *testing.T) {
	ch, err := LoadChart("testdata/chart")
	if err != nil {
		t.Fatal(err)
	}
	vals, _ := ComposeValues(nil, testImage())
	ch.Metadata.KubeVersion = ">=1.28.0-0"
	if _, err := Render(context.Background(), ch, vals, "demo-app", "demo"); err != nil {
		t.Fatalf("default render version must satisfy >=1.28: %v", err)
	}
	if _, err := Render(context.Background(), ch, vals, "demo-app", "demo", RenderOptions{KubeVersion: "v1.27.0"}); err == nil ||
		!strings.Contains(err.Error(), "does not render") {
		t.Fatalf("want a kubeVersion incompatibility error, got %v", err)
	}
}

// imageValues pins repository to digest, tagged abc1234 as a build of that commit would be.
func imageValues(repository, digest string) ImageValues {
	p, err := artifact.ParsePinned(repository + ":abc1234@" + digest)
	if err != nil {
		panic(err)
	}
	return ImageValues{Image: p, BuildVersion: "abc1234"}
}
