//go:build integration

package kube_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"github.com/platformteam/delivery/internal/sandbox/kube"
	"github.com/platformteam/delivery/internal/sandbox/sandboxtest"
)

// testNamespace creates a unique namespace, deleted when the test ends.
func testNamespace(t *testing.T, client kubernetes.Interface) string {
	t.Helper()
	ns := sandboxtest.UniqueName(strings.ToLower(t.Name()))
	ctx := context.Background()
	if _, err := client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create namespace %s: %v", ns, err)
	}
	t.Cleanup(func() { _ = client.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{}) })
	// Pods need the namespace's default service account, which the controller manager creates.
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		_, err := client.CoreV1().ServiceAccounts(ns).Get(ctx, "default", metav1.GetOptions{})
		return err == nil, nil
	})
	if err != nil {
		t.Fatalf("namespace %s never got its default service account: %v", ns, err)
	}
	return ns
}

func deployment(name, image string, readiness *corev1.Probe) *appsv1.Deployment {
	replicas := int32(2)
	labels := map[string]string{"app": name}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{
					Name: "app", Image: image, ReadinessProbe: readiness,
				}}},
			},
		},
	}
}

func pods(t *testing.T, ctx context.Context, client kubernetes.Interface, ns, app string) []corev1.Pod {
	t.Helper()
	list, err := client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=" + app})
	if err != nil {
		t.Fatalf("list pods: %v", err)
	}
	return list.Items
}

func podReady(p corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// waitPods polls until every pod of app satisfies cond (and there are want of them).
func waitPods(t *testing.T, client kubernetes.Interface, ns, app string, want int, what string, cond func(corev1.Pod) bool) []corev1.Pod {
	t.Helper()
	var last []corev1.Pod
	err := wait.PollUntilContextTimeout(context.Background(), 200*time.Millisecond, 90*time.Second, true, func(ctx context.Context) (bool, error) {
		last = pods(t, ctx, client, ns, app)
		if len(last) != want {
			return false, nil
		}
		for _, p := range last {
			if !cond(p) {
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		t.Fatalf("%s: pods of %s never became %s: %s", ns, app, what, describePods(last))
	}
	return last
}

func describePods(list []corev1.Pod) string {
	var parts []string
	for _, p := range list {
		reason := ""
		for _, cs := range p.Status.ContainerStatuses {
			if cs.State.Waiting != nil {
				reason = cs.State.Waiting.Reason
			}
		}
		parts = append(parts, fmt.Sprintf("%s phase=%s ready=%v waiting=%s node=%s", p.Name, p.Status.Phase, podReady(p), reason, p.Spec.NodeName))
	}
	return fmt.Sprintf("%d pods [%s]", len(list), strings.Join(parts, "; "))
}

func TestClusterIsVersionStampedWithZonedNodes(t *testing.T) {
	client := sandboxtest.Env(t).Kube(t)
	v, err := client.Discovery().ServerVersion()
	if err != nil || v.GitVersion != kube.KubernetesVersion {
		t.Fatalf("server version = %v, %v; want %s", v, err, kube.KubernetesVersion)
	}
	nodes, err := client.CoreV1().Nodes().List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	zones := map[string]bool{}
	for _, n := range nodes.Items {
		ready := false
		for _, c := range n.Status.Conditions {
			ready = ready || (c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue)
		}
		if !ready || len(n.Spec.Taints) != 0 {
			t.Errorf("node %s: ready=%v taints=%v", n.Name, ready, n.Spec.Taints)
		}
		zones[n.Labels["topology.kubernetes.io/zone"]] = true
	}
	if len(zones) < 2 {
		t.Errorf("nodes span zones %v, want two", zones)
	}
}

func TestGoodDeploymentBecomesReady(t *testing.T) {
	sb := sandboxtest.Env(t)
	client := sb.Kube(t)
	ns := testNamespace(t, client)
	ctx := context.Background()
	if _, err := client.AppsV1().Deployments(ns).Create(ctx, deployment("good", sb.Registry+"/sandbox/good:1", nil), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitPods(t, client, ns, "good", 2, "Running and Ready", func(p corev1.Pod) bool { return p.Status.Phase == corev1.PodRunning && podReady(p) })
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		d, err := client.AppsV1().Deployments(ns).Get(ctx, "good", metav1.GetOptions{})
		return err == nil && d.Status.AvailableReplicas == 2 && d.Status.UpdatedReplicas == 2, nil
	})
	if err != nil {
		t.Fatalf("deployment never reported 2 available replicas: %v", err)
	}
}

func TestPullFailImageShowsImagePullBackOff(t *testing.T) {
	sb := sandboxtest.Env(t)
	client := sb.Kube(t)
	ns := testNamespace(t, client)
	if _, err := client.AppsV1().Deployments(ns).Create(context.Background(), deployment("broken", sb.Registry+"/sandbox/pull-fail:1", nil), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitPods(t, client, ns, "broken", 2, "Pending in ImagePullBackOff", func(p corev1.Pod) bool {
		if p.Status.Phase != corev1.PodPending || podReady(p) || len(p.Status.ContainerStatuses) == 0 {
			return false
		}
		w := p.Status.ContainerStatuses[0].State.Waiting
		return w != nil && w.Reason == "ImagePullBackOff"
	})
	events, err := client.CoreV1().Events(ns).List(context.Background(), metav1.ListOptions{FieldSelector: "reason=Failed"})
	if err != nil || len(events.Items) == 0 {
		t.Errorf("no Warning Failed event for the failed pull (err %v)", err)
	}
}

func TestFailingReadinessProbeRunsButIsNeverReady(t *testing.T) {
	sb := sandboxtest.Env(t)
	client := sb.Kube(t)
	ns := testNamespace(t, client)
	probe := &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"false"}}}}
	if _, err := client.AppsV1().Deployments(ns).Create(context.Background(), deployment("unready", sb.Registry+"/sandbox/app:1", probe), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitPods(t, client, ns, "unready", 2, "Running", func(p corev1.Pod) bool { return p.Status.Phase == corev1.PodRunning })
	// Once running, the pods must stay unready: watch them for a while.
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		for _, p := range pods(t, context.Background(), client, ns, "unready") {
			if podReady(p) {
				t.Fatalf("pod %s became Ready despite readiness probe exec [\"false\"]", p.Name)
			}
		}
		time.Sleep(250 * time.Millisecond)
	}
}
