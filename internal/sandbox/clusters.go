package sandbox

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"sync"

	"github.com/platformteam/delivery/internal/iampolicy"
	"github.com/platformteam/delivery/internal/sandbox/ekstwin"
	"github.com/platformteam/delivery/internal/sandbox/kube"
	"github.com/platformteam/delivery/internal/sandbox/kubetwin"
	"github.com/platformteam/delivery/internal/sandbox/proc"
	"github.com/platformteam/delivery/internal/sandbox/twin"
	"github.com/platformteam/delivery/pkg/environment"
)

// ClusterEnvironments are the environments whose EKS cluster the sandbox runs, the local one first:
// each its own API server (sharing etcd), controller manager, scheduler and kwok, in the account its
// delivery.yaml names.
var ClusterEnvironments = []string{EnvName, "staging", "production"}

// clusters are the sandbox's Kubernetes clusters in this layout, one per ClusterEnvironments entry.
func (l Layout) clusters(binaries kube.Binaries) ([]kube.Cluster, error) {
	var out []kube.Cluster
	for i, name := range ClusterEnvironments {
		env, err := environment.Load(l.RepoRoot, name)
		if err != nil {
			return nil, fmt.Errorf("the %s cluster: %w", name, err)
		}
		c := kube.Cluster{
			Name: env.EKS.Cluster, Account: env.AccountID, Region: env.Region, Ports: kube.PortsOf(i), Primary: i == 0,
			Dir: l.KubeDir(), Files: l.ProcessFiles, Binaries: binaries,
		}
		c.TokenWebhook = ekstwin.TokenReviewURL(MotoURL(), ekstwin.ClusterRef{Partition: "aws", Account: c.Account, Region: c.Region, Name: c.Name})
		if !c.Primary {
			c.Dir = filepath.Join(l.KubeDir(), c.Name)
			c.AppNamespaces = []kube.AppNamespace{{Name: env.EKS.Namespace, App: env.EKS.Release, DeployerGroup: iampolicy.DeployerGroup}}
		}
		out = append(out, c)
	}
	return out, nil
}

// primaryKubeconfig is the local cluster's admin kubeconfig (the sandbox contract's KUBECONFIG).
func (l Layout) primaryKubeconfig() string { return kube.Cluster{Dir: l.KubeDir()}.Kubeconfig() }

// etcd is the one etcd of every cluster.
func (l Layout) etcd(binary string) proc.Process {
	return kube.Etcd(l.DataDir("etcd"), l.ProcessFiles("etcd"), binary)
}

// kubeTwin is the clusters' fault proxies and kube agents.
func (l Layout) kubeTwin(binary string, clusters []kube.Cluster) kube.Twin {
	return kube.Twin{Binary: binary, Config: filepath.Join(l.KubeDir(), "kube-twin.json"), Files: l.ProcessFiles("kube-twin"), Clusters: clusters}
}

// EKSClusterFile is where `up` declares the clusters to the AWS front (ekstwin.ClusterFile).
func (l Layout) EKSClusterFile() string { return filepath.Join(l.KubeDir(), "eks-clusters.json") }

// startClusters starts etcd, then every cluster (in parallel: each waits on its own API server),
// then kube-twin, and declares the clusters to the AWS front.
func startClusters(ctx context.Context, l Layout, out io.Writer, t toolset, b twin.Bootstrap) error {
	if _, err := l.etcd(t.cluster.Etcd).Ensure(ctx, out); err != nil {
		return err
	}
	clusters, err := l.clusters(t.cluster)
	if err != nil {
		return err
	}
	errs := make([]error, len(clusters))
	var wg sync.WaitGroup
	for i, c := range clusters {
		wg.Go(func() {
			var namespaces []string
			if c.Primary {
				env, err := environment.Load(l.RepoRoot, EnvName)
				if err != nil {
					errs[i] = err
					return
				}
				namespaces = []string{env.EKS.Namespace}
			}
			if err := c.Up(ctx, out, namespaces...); err != nil {
				errs[i] = fmt.Errorf("cluster %s: %w", c.Name, err)
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	kt := l.kubeTwin(t.kubeTwin, clusters)
	kt.Identities = twinClusterIdentities(clusters, b)
	kt.RegistryHosts = twinRegistryHosts(clusters)
	if _, err := kt.Process().Ensure(ctx, out); err != nil {
		return err
	}
	for _, c := range clusters {
		if c.Primary {
			continue
		}
		if err := kube.EnsureClusterSecretStores(ctx, c, filepath.Join(l.RepoRoot, clusterSecretStoresChart)); err != nil {
			return fmt.Errorf("cluster %s: %w", c.Name, err)
		}
	}
	return kube.WriteClusterFile(l.EKSClusterFile(), clusters)
}

// twinRegistryHosts maps each twin account's ECR host to the twin registry that serves it.
func twinRegistryHosts(clusters []kube.Cluster) map[string]string {
	hosts := map[string]string{}
	tl := twinLayout()
	for i, c := range clusters {
		if port, ok := tl.RegistryPorts[ClusterEnvironments[i]]; ok {
			hosts[fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com", c.Account, c.Region)] = fmt.Sprintf("%s:%d", proc.Host, port)
		}
	}
	return hosts
}

// clusterSecretStoresChart is the chart stacks/platform/eks installs the ClusterSecretStores with; the
// twin clusters get the same stores from its template.
const clusterSecretStoresChart = "stacks/platform/eks/charts/cluster-secret-stores/templates/stores.yaml"

// twinClusterIdentities are the AWS identities of the twin clusters' nodes (image pulls through an ECR
// login, as the kubelet's credential provider does) and External Secrets Operator: the account's
// sandbox admin, standing in for the node role and the operator's IRSA role, which the Terraform's
// policy templates do not render (docs/sandbox.md). The local cluster keeps anonymous pulls and no
// operator.
func twinClusterIdentities(clusters []kube.Cluster, b twin.Bootstrap) map[string]kube.ClusterIdentities {
	ids := map[string]kube.ClusterIdentities{}
	for _, c := range clusters {
		admin, ok := b.Admins[c.Account]
		if c.Primary || !ok {
			continue
		}
		id := &kubetwin.AWSIdentity{Endpoint: MotoURL(), Region: c.Region, AccessKeyID: admin.AccessKeyID, SecretAccessKey: admin.SecretAccessKey}
		ids[c.Name] = kube.ClusterIdentities{Nodes: id, ExternalSecrets: id}
	}
	return ids
}
