//go:build integration

package charts

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"helm.sh/helm/v3/pkg/action"
	helmrelease "helm.sh/helm/v3/pkg/release"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/kubernetes"

	"github.com/platformteam/delivery/internal/sandbox/sandboxtest"
)

// buildAppImage compiles app/ statically (as the Dockerfile does) and pushes a one-layer image with the
// binary to the sandbox registry. It returns the repository and the manifest digest.
func buildAppImage(t *testing.T, registry, commit string) (string, string) {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "demo-app")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w -X main.version="+commit+" -X main.commit="+commit, "-o", bin, ".")
	cmd.Dir = filepath.Join("..", "app")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build app: %v\n%s", err, out)
	}
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Name: "demo-app", Mode: 0o755, Size: int64(len(data)), Uid: 0, Gid: 0}); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	layerBytes := buf.Bytes()
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(layerBytes)), nil })
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		t.Fatal(err)
	}
	img, err = mutate.Config(img, v1.Config{
		Entrypoint:   []string{"/demo-app"},
		User:         "65532:65532",
		Env:          []string{"PORT=8080"},
		ExposedPorts: map[string]struct{}{"8080/tcp": {}},
	})
	if err != nil {
		t.Fatal(err)
	}
	repo := registry + "/" + sandboxtest.UniqueName("demo-app")
	ref, err := name.ParseReference(repo+":"+commit, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
	digest, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return repo, digest.String()
}

func testNamespace(t *testing.T, client kubernetes.Interface) string {
	t.Helper()
	ns := sandboxtest.UniqueName("chart-demo-app")
	ctx := context.Background()
	if _, err := client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create namespace %s: %v", ns, err)
	}
	t.Cleanup(func() { _ = client.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{}) })
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		_, err := client.CoreV1().ServiceAccounts(ns).Get(ctx, "default", metav1.GetOptions{})
		return err == nil, nil
	})
	if err != nil {
		t.Fatalf("namespace %s never got its default service account: %v", ns, err)
	}
	return ns
}

// TestChartInstallsOnSandbox installs charts/demo-app with values-local.yaml and the app image built from
// app/ (pinned by digest) with atomic+wait, upgrades it with a new buildVersion, and checks that an upgrade
// whose pods never become ready is rolled back to the running release.
func TestChartInstallsOnSandbox(t *testing.T) {
	sb := sandboxtest.Env(t)
	client := sb.Kube(t)
	ns := testNamespace(t, client)
	repo, digest := buildAppImage(t, sb.Registry, "0a1b2c3")

	flags := genericclioptions.NewConfigFlags(false)
	flags.KubeConfig, flags.Namespace = &sb.Kubeconfig, &ns
	cfg := new(action.Configuration)
	if err := cfg.Init(flags, ns, "secret", func(string, ...interface{}) {}); err != nil {
		t.Fatal(err)
	}
	c := loadChart(t)
	values := func(build string, extra map[string]any) map[string]any {
		v := mergeValues(readValues(t, filepath.Join(chartDir, "values-local.yaml")), map[string]any{
			"image":        map[string]any{"repository": repo, "tag": "0a1b2c3", "digest": digest},
			"buildVersion": build,
		})
		return mergeValues(v, extra)
	}
	ctx := context.Background()

	install := action.NewInstall(cfg)
	install.ReleaseName, install.Namespace = release, ns
	install.Wait, install.Atomic, install.Timeout = true, true, 2*time.Minute
	rel, err := install.RunWithContext(ctx, c, values("0a1b2c3", nil))
	if err != nil {
		t.Fatalf("install: %v", err)
	}
	if rel.Info.Status != helmrelease.StatusDeployed {
		t.Fatalf("install status %s", rel.Info.Status)
	}
	dep, err := client.AppsV1().Deployments(ns).Get(ctx, release, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if dep.Status.ReadyReplicas != *dep.Spec.Replicas || *dep.Spec.Replicas != 2 {
		t.Fatalf("ready %d of %d replicas", dep.Status.ReadyReplicas, *dep.Spec.Replicas)
	}
	if img := dep.Spec.Template.Spec.Containers[0].Image; img != repo+"@"+digest {
		t.Fatalf("deployment image %q, want %s@%s", img, repo, digest)
	}
	for _, get := range []func() error{
		func() error {
			_, err := client.CoreV1().Services(ns).Get(ctx, release, metav1.GetOptions{})
			return err
		},
		func() error {
			_, err := client.CoreV1().ServiceAccounts(ns).Get(ctx, release, metav1.GetOptions{})
			return err
		},
		func() error {
			_, err := client.PolicyV1().PodDisruptionBudgets(ns).Get(ctx, release, metav1.GetOptions{})
			return err
		},
	} {
		if err := get(); err != nil {
			t.Fatalf("chart object missing: %v", err)
		}
	}

	// Same image, new buildVersion: a rollout happens (new pod template) and completes.
	upgrade := action.NewUpgrade(cfg)
	upgrade.Namespace = ns
	upgrade.Wait, upgrade.Atomic, upgrade.Timeout = true, true, 2*time.Minute
	if _, err := upgrade.RunWithContext(ctx, release, c, values("0a1b2c3-2", nil)); err != nil {
		t.Fatalf("upgrade: %v", err)
	}
	dep2, err := client.AppsV1().Deployments(ns).Get(ctx, release, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if dep2.Generation == dep.Generation || dep2.Spec.Template.Annotations["demo-app/build-version"] != "0a1b2c3-2" {
		t.Fatalf("buildVersion did not roll the pods (generation %d → %d)", dep.Generation, dep2.Generation)
	}

	// Pods that never become ready: atomic rolls back to revision 2.
	bad := action.NewUpgrade(cfg)
	bad.Namespace = ns
	bad.Wait, bad.Atomic, bad.Timeout = true, true, 20*time.Second
	_, err = bad.RunWithContext(ctx, release, c, values("0a1b2c3-3", map[string]any{
		"probes": map[string]any{"readiness": map[string]any{"exec": []any{"false"}}},
	}))
	if err == nil || !strings.Contains(err.Error(), "rolled back") {
		t.Fatalf("never-ready upgrade = %v, want an atomic rollback", err)
	}
	history, err := action.NewHistory(cfg).Run(release)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range history {
		got = append(got, string(r.Info.Status))
	}
	if fmt.Sprint(got) != "[superseded superseded failed deployed]" {
		t.Fatalf("history %v", got)
	}
	cur, err := action.NewGet(cfg).Run(release)
	if err != nil {
		t.Fatal(err)
	}
	if cur.Config["buildVersion"] != "0a1b2c3-2" {
		t.Fatalf("current release values buildVersion=%v, want the last good one", cur.Config["buildVersion"])
	}
}
