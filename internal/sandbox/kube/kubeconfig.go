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

// contextName is the context (and cluster) name in the sandbox's kubeconfig.
const contextName = "delivery-sandbox"

// apiServerURL is the address clients use for the sandbox's cluster.
func apiServerURL() string { return fmt.Sprintf("https://%s:%d", proc.Host, APIServerPort) }

// renderKubeconfig builds a token kubeconfig for the sandbox cluster with the CA embedded.
func renderKubeconfig(server string, caPEM []byte, user, token string) ([]byte, error) {
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
		data, err := renderKubeconfig(apiServerURL(), ca, id.User, tokens[id.Name])
		if err != nil {
			return fmt.Errorf("render kubeconfig for %s: %w", id.Name, err)
		}
		if err := atomicfile.Write(c.kubeconfigPath(id.Name), data, 0o600); err != nil {
			return err
		}
	}
	return nil
}
