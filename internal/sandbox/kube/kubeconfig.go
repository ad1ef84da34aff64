package kube

import (
	"fmt"
	"os"
	"path/filepath"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/platformteam/delivery/internal/atomicfile"
	"github.com/platformteam/delivery/internal/sandbox/proc"
)

// primaryContext is the context (and cluster) name in the primary cluster's kubeconfig (the sandbox
// contract); the other clusters' kubeconfigs name their cluster.
const primaryContext = "delivery-sandbox"

func (c Cluster) contextName() string {
	if c.Primary {
		return primaryContext
	}
	return c.Name
}

// APIServerURL is the API server's own address (the sandbox's components and admin kubeconfigs use it).
func (c Cluster) APIServerURL() string {
	return fmt.Sprintf("https://%s:%d", proc.Host, c.Ports.APIServer)
}

// EndpointURL is the address DescribeCluster reports: the fault proxy in front of the API server.
func (c Cluster) EndpointURL() string { return fmt.Sprintf("https://%s:%d", proc.Host, c.Ports.Proxy) }

// CACert is the cluster CA's certificate file.
func (c Cluster) CACert() string { return c.pki().CACert() }

// renderKubeconfig builds a token kubeconfig for a cluster with the CA embedded.
func renderKubeconfig(contextName, server string, caPEM []byte, user, token string) ([]byte, error) {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[contextName] = &clientcmdapi.Cluster{Server: server, CertificateAuthorityData: caPEM}
	cfg.AuthInfos[user] = &clientcmdapi.AuthInfo{Token: token}
	cfg.Contexts[contextName] = &clientcmdapi.Context{Cluster: contextName, AuthInfo: user, Namespace: "default"}
	cfg.CurrentContext = contextName
	return clientcmd.Write(*cfg)
}

// Kubeconfig is the admin kubeconfig clients use (<state>/kube/kubeconfig in the sandbox contract).
func (c Cluster) Kubeconfig() string { return filepath.Join(c.Dir, "kubeconfig") }

// kubeconfigPath is where the kubeconfig of identity name lives: the admin one at Kubeconfig, the
// components' beside it.
func (c Cluster) kubeconfigPath(name string) string {
	if name == "admin" {
		return c.Kubeconfig()
	}
	return filepath.Join(c.Dir, name+".kubeconfig")
}

// writeKubeconfigs writes one kubeconfig per identity from the current CA and tokens.
func (c Cluster) writeKubeconfigs(pki kubePKI) error {
	ca, err := os.ReadFile(pki.CACert())
	if err != nil {
		return fmt.Errorf("read cluster CA: %w", err)
	}
	tokens, err := pki.tokens()
	if err != nil {
		return err
	}
	for _, id := range kubeIdentities {
		data, err := renderKubeconfig(c.contextName(), c.APIServerURL(), ca, id.User, tokens[id.Name])
		if err != nil {
			return fmt.Errorf("render kubeconfig for %s: %w", id.Name, err)
		}
		if err := atomicfile.Write(c.kubeconfigPath(id.Name), data, 0o600); err != nil {
			return err
		}
	}
	return nil
}

// tokenWebhookConfig is the kubeconfig telling the API server where the EKS twin's token review is.
func (c Cluster) tokenWebhookConfig() string { return filepath.Join(c.Dir, "token-webhook.kubeconfig") }

// writeTokenWebhook writes tokenWebhookConfig (plain HTTP on loopback: the AWS front's control path).
func (c Cluster) writeTokenWebhook() error {
	if c.TokenWebhook == "" {
		return nil
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["eks-twin"] = &clientcmdapi.Cluster{Server: c.TokenWebhook}
	cfg.AuthInfos["kube-apiserver"] = &clientcmdapi.AuthInfo{}
	cfg.Contexts["webhook"] = &clientcmdapi.Context{Cluster: "eks-twin", AuthInfo: "kube-apiserver"}
	cfg.CurrentContext = "webhook"
	data, err := clientcmd.Write(*cfg)
	if err != nil {
		return fmt.Errorf("render the token webhook config: %w", err)
	}
	if err := os.MkdirAll(c.Dir, 0o700); err != nil {
		return err
	}
	return atomicfile.Write(c.tokenWebhookConfig(), data, 0o644)
}
