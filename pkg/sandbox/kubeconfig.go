package sandbox

import (
	"fmt"
	"os"
	"path/filepath"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// KubeContextName is the context (and cluster) name in the sandbox's kubeconfig.
const KubeContextName = "delivery-sandbox"

// APIServerURL is the address clients use for the sandbox's cluster.
func APIServerURL() string { return fmt.Sprintf("https://%s:%d", Host, APIServerPort) }

// renderKubeconfig builds a token kubeconfig for the sandbox cluster with the CA embedded.
func renderKubeconfig(server string, caPEM []byte, user, token string) ([]byte, error) {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[KubeContextName] = &clientcmdapi.Cluster{Server: server, CertificateAuthorityData: caPEM}
	cfg.AuthInfos[user] = &clientcmdapi.AuthInfo{Token: token}
	cfg.Contexts[KubeContextName] = &clientcmdapi.Context{Cluster: KubeContextName, AuthInfo: user, Namespace: "default"}
	cfg.CurrentContext = KubeContextName
	return clientcmd.Write(*cfg)
}

// kubeconfigPath is where the kubeconfig of identity name lives: the admin one at the contract path
// (<state>/kube/kubeconfig), the components' beside it.
func kubeconfigPath(l Layout, name string) string {
	if name == "admin" {
		return l.Kubeconfig()
	}
	return filepath.Join(l.KubeDir(), name+".kubeconfig")
}

// writeKubeconfigs writes one kubeconfig per identity from the current CA and tokens.
func writeKubeconfigs(l Layout, pki kubePKI) error {
	ca, err := os.ReadFile(pki.CACert())
	if err != nil {
		return fmt.Errorf("read cluster CA: %w", err)
	}
	tokens, err := pki.tokens()
	if err != nil {
		return err
	}
	for _, id := range kubeIdentities {
		data, err := renderKubeconfig(APIServerURL(), ca, id.User, tokens[id.Name])
		if err != nil {
			return fmt.Errorf("render kubeconfig for %s: %w", id.Name, err)
		}
		if err := writeFileAtomic(kubeconfigPath(l, id.Name), data, 0o600); err != nil {
			return err
		}
	}
	return nil
}
