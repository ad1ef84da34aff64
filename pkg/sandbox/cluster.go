package sandbox

import (
	"context"
	"fmt"
	"io"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// FakeNode is one kwok-managed node of the sandbox cluster.
type FakeNode struct {
	Name string
	Zone string // e.g. ap-southeast-2a
}

// fakeNodes are two nodes in two zones, so topology spread constraints can be satisfied.
func fakeNodes(region string) []FakeNode {
	return []FakeNode{
		{Name: "sandbox-node-a", Zone: region + "a"},
		{Name: "sandbox-node-b", Zone: region + "b"},
	}
}

func nodeObject(n FakeNode, region string) *corev1.Node {
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name:        n.Name,
			Annotations: map[string]string{KwokNodeAnnotation: "fake", "node.alpha.kubernetes.io/ttl": "0"},
			Labels: map[string]string{
				"kubernetes.io/hostname":           n.Name,
				"kubernetes.io/os":                 "linux",
				"kubernetes.io/arch":               "amd64",
				"node.kubernetes.io/instance-type": "kwok",
				"topology.kubernetes.io/region":    region,
				"topology.kubernetes.io/zone":      n.Zone,
				"type":                             "kwok",
			},
		},
	}
}

// adminClient is a clientset authenticated as the sandbox admin.
func adminClient(l Layout) (kubernetes.Interface, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", l.Kubeconfig())
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", l.Kubeconfig(), err)
	}
	cfg.Timeout = 10 * time.Second
	return kubernetes.NewForConfig(cfg)
}

// registerNodes creates the fake nodes that do not exist yet.
func registerNodes(ctx context.Context, client kubernetes.Interface, region string) error {
	for _, n := range fakeNodes(region) {
		_, err := client.CoreV1().Nodes().Create(ctx, nodeObject(n, region), metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("register node %s: %w", n.Name, err)
		}
	}
	return nil
}

// nodesReadyCheck succeeds once every fake node reports Ready (kwok's node stage did its work).
func nodesReadyCheck(l Layout, region string) func(context.Context) error {
	return func(ctx context.Context) error {
		client, err := adminClient(l)
		if err != nil {
			return err
		}
		for _, n := range fakeNodes(region) {
			node, err := client.CoreV1().Nodes().Get(ctx, n.Name, metav1.GetOptions{})
			if err != nil {
				return fmt.Errorf("node %s: %w", n.Name, err)
			}
			if !nodeReady(node) {
				return fmt.Errorf("node %s is not Ready yet", n.Name)
			}
		}
		return nil
	}
}

func nodeReady(node *corev1.Node) bool {
	for _, c := range node.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// prepareNamespaces waits until the default namespace can run pods (its default service account
// exists) and creates the namespaces the local environment deploys into.
func prepareNamespaces(ctx context.Context, l Layout, progress io.Writer, namespaces []string) error {
	client, err := adminClient(l)
	if err != nil {
		return err
	}
	for _, ns := range namespaces {
		_, err := client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("create namespace %s: %w", ns, err)
		}
	}
	for _, ns := range append([]string{"default"}, namespaces...) {
		err := waitUntil(ctx, progress, "service account default/"+ns, 60*time.Second,
			"check the kube-controller-manager log in "+l.LogFile("kube-controller-manager"),
			func(ctx context.Context) error {
				_, err := client.CoreV1().ServiceAccounts(ns).Get(ctx, "default", metav1.GetOptions{})
				return err
			})
		if err != nil {
			return err
		}
	}
	return nil
}
