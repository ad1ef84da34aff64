// Package kube runs the sandbox's Kubernetes cluster on 127.0.0.1: etcd, kube-apiserver,
// kube-controller-manager and kube-scheduler (one version-stamped binary built from tools/k8s), and kwok,
// which plays the fake nodes and the pod lifecycles (kwokstages). It keeps the cluster's PKI and bearer
// tokens, writes a kubeconfig per identity, registers the fake nodes and prepares the namespaces the
// local environment deploys into. Every process is supervised by package proc.
package kube

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/platformteam/delivery/internal/sandbox/proc"
)

// Cluster is the sandbox's cluster: where its files live and the binaries it runs.
type Cluster struct {
	Dir      string // PKI, kubeconfigs and kwok stages (<state>/kube)
	EtcdData string // etcd's data directory
	// Files says where each component's pid, log and configuration fingerprint go.
	Files    func(component string) proc.Files
	Binaries Binaries
	Region   string // the fake nodes' zones are <region>a and <region>b
}

// Binaries are the executables the cluster runs (see BuildBinaries).
type Binaries struct {
	Kube string // kube-apiserver, kube-controller-manager and kube-scheduler in one binary
	Etcd string
	Kwok string
}

func (c Cluster) pki() kubePKI { return kubePKI{dir: filepath.Join(c.Dir, "pki")} }

// Processes are every process of the cluster in start order, for stopping and status.
func (c Cluster) Processes() []proc.Process {
	return append(append([]proc.Process{c.etcd()}, c.controlPlane(c.pki())...), c.kwok())
}

// Up creates the key material and kubeconfigs that are missing, starts every component that is not
// running (restarting those whose configuration changed), registers the fake nodes before kwok starts,
// and waits until namespaces exist and can run pods.
func (c Cluster) Up(ctx context.Context, progress io.Writer, namespaces ...string) error {
	pki := c.pki()
	if err := pki.ensure(); err != nil {
		return err
	}
	if err := c.writeKubeconfigs(pki); err != nil {
		return err
	}
	for _, p := range append([]proc.Process{c.etcd()}, c.controlPlane(pki)...) {
		if _, err := p.Ensure(ctx, progress); err != nil {
			return err
		}
	}
	client, err := c.adminClient()
	if err != nil {
		return err
	}
	if err := registerNodes(ctx, client, c.Region); err != nil {
		return err
	}
	if _, err := c.kwok().Ensure(ctx, progress); err != nil {
		return err
	}
	return c.prepareNamespaces(ctx, progress, namespaces)
}

// fakeNode is one kwok-managed node of the sandbox cluster.
type fakeNode struct {
	Name string
	Zone string // e.g. ap-southeast-2a
}

// fakeNodes are two nodes in two zones, so topology spread constraints can be satisfied.
func fakeNodes(region string) []fakeNode {
	return []fakeNode{
		{Name: "sandbox-node-a", Zone: region + "a"},
		{Name: "sandbox-node-b", Zone: region + "b"},
	}
}

func nodeObject(n fakeNode, region string) *corev1.Node {
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name:        n.Name,
			Annotations: map[string]string{kwokNodeAnnotation: "fake", "node.alpha.kubernetes.io/ttl": "0"},
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
func (c Cluster) adminClient() (kubernetes.Interface, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", c.Kubeconfig())
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", c.Kubeconfig(), err)
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

// nodesReady succeeds once every fake node reports Ready (kwok's node stage did its work).
func (c Cluster) nodesReady(ctx context.Context) error {
	client, err := c.adminClient()
	if err != nil {
		return err
	}
	for _, n := range fakeNodes(c.Region) {
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
func (c Cluster) prepareNamespaces(ctx context.Context, progress io.Writer, namespaces []string) error {
	client, err := c.adminClient()
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
		err := proc.WaitUntil(ctx, progress, "service account default/"+ns, 60*time.Second,
			"check the kube-controller-manager log in "+c.Files("kube-controller-manager").Log,
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
