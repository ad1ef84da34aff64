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

// Cluster is one of the sandbox's clusters: where its files live and the binaries it runs. Every
// cluster has its own API server, PKI, controller manager, scheduler and kwok; they share one etcd
// (each API server under its own key prefix). The first cluster (the local environment's) keeps the
// original paths and names: <state>/kube, process names without a suffix, etcd prefix /registry.
type Cluster struct {
	Name    string // the EKS cluster it stands for (eks.cluster in delivery.yaml)
	Account string // the AWS account of that environment
	Region  string // the fake nodes' zones are <region>a and <region>b
	Ports   Ports
	Primary bool   // the local environment's cluster
	Dir     string // PKI, kubeconfigs and kwok stages (<state>/kube, <state>/kube/<name> for the others)
	// Files says where each process's pid, log and configuration fingerprint go.
	Files    func(process string) proc.Files
	Binaries Binaries
	// TokenWebhook is the URL of the EKS twin's token review for this cluster ("" for none): the
	// API server authenticates `k8s-aws-v1.` bearer tokens there, as EKS does.
	TokenWebhook string
	// AppNamespaces are created as the app stacks' modules/eks-app declares them (twin clusters).
	AppNamespaces []AppNamespace
}

// Ports are a cluster's loopback ports.
type Ports struct {
	APIServer, ControllerManager, Scheduler int
	// Proxy is the fault proxy in front of the API server: the endpoint DescribeCluster reports.
	Proxy int
}

// PortsOf are the ports of the i-th cluster: the first keeps the sandbox contract's 6443, 10257 and
// 10259; the next ones count up (6444, 11257, 11259, ...). Proxies listen on 7443+i.
func PortsOf(i int) Ports {
	return Ports{APIServer: APIServerPort + i, ControllerManager: ControllerMgrPort + 1000*i, Scheduler: SchedulerPort + 1000*i, Proxy: ProxyPort + i}
}

// process is the name of one of the cluster's processes: the component, suffixed with the cluster
// name except for the primary cluster.
func (c Cluster) process(component string) string {
	if c.Primary {
		return component
	}
	return component + "-" + c.Name
}

// Binaries are the executables the cluster runs (see BuildBinaries).
type Binaries struct {
	Kube string // kube-apiserver, kube-controller-manager and kube-scheduler in one binary
	Etcd string
	Kwok string
}

func (c Cluster) pki() kubePKI { return kubePKI{dir: filepath.Join(c.Dir, "pki")} }

// Processes are every process of the cluster in start order (etcd, shared, is not one: see Etcd), for
// stopping and status.
func (c Cluster) Processes() []proc.Process {
	return append(c.controlPlane(c.pki()), c.kwok())
}

// Up creates the key material and kubeconfigs that are missing, starts every component that is not
// running (restarting those whose configuration changed), registers the fake nodes before kwok starts,
// and waits until namespaces exist and can run pods. etcd must be up (Etcd).
func (c Cluster) Up(ctx context.Context, progress io.Writer, namespaces ...string) error {
	pki := c.pki()
	if err := pki.ensure(); err != nil {
		return err
	}
	if err := c.writeKubeconfigs(pki); err != nil {
		return err
	}
	if err := c.writeTokenWebhook(); err != nil {
		return err
	}
	for _, p := range c.controlPlane(pki) {
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
	for _, a := range c.AppNamespaces {
		if err := a.ensure(ctx, client); err != nil {
			return err
		}
		namespaces = append(namespaces, a.Name)
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
			"check the kube-controller-manager log in "+c.Files(c.process("kube-controller-manager")).Log,
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
