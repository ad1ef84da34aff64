package kube

import (
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"

	"k8s.io/client-go/tools/clientcmd"
)

func TestPKIServerCertificateIsValidForEveryName(t *testing.T) {
	pki := kubePKI{dir: filepath.Join(t.TempDir(), "pki")}
	if err := pki.ensure(); err != nil {
		t.Fatal(err)
	}
	ca, _, err := pki.loadCA()
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	server := readCert(t, pki.ServerCert())
	for _, name := range apiServerSANs {
		if _, err := server.Verify(x509.VerifyOptions{DNSName: name, Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
			t.Errorf("certificate not valid for %s: %v", name, err)
		}
	}
	if _, err := server.Verify(x509.VerifyOptions{DNSName: "example.com", Roots: roots}); err == nil {
		t.Error("certificate valid for a name it should not cover")
	}
}

func TestPKIEnsureKeepsExistingMaterial(t *testing.T) {
	pki := kubePKI{dir: filepath.Join(t.TempDir(), "pki")}
	if err := pki.ensure(); err != nil {
		t.Fatal(err)
	}
	before := map[string][]byte{}
	for _, f := range []string{pki.CACert(), pki.ServerCert(), pki.SAKey(), pki.TokenFile()} {
		before[f], _ = os.ReadFile(f)
	}
	if err := pki.ensure(); err != nil {
		t.Fatal(err)
	}
	for f, data := range before {
		after, _ := os.ReadFile(f)
		if string(after) != string(data) {
			t.Errorf("%s changed on a second ensure", filepath.Base(f))
		}
	}
	// A lost serving certificate is recreated under the same CA.
	os.Remove(pki.ServerCert())
	if err := pki.ensure(); err != nil {
		t.Fatal(err)
	}
	if string(mustRead(t, pki.CACert())) != string(before[pki.CACert()]) {
		t.Error("CA was replaced when only the serving certificate was missing")
	}
}

func TestTokensAndKubeconfigs(t *testing.T) {
	c := Cluster{Primary: true, Ports: PortsOf(0), Dir: filepath.Join(t.TempDir(), "kube")}
	pki := c.pki()
	if err := pki.ensure(); err != nil {
		t.Fatal(err)
	}
	tokens, err := pki.tokens()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, id := range kubeIdentities {
		tok := tokens[id.Name]
		if len(tok) < 32 || seen[tok] {
			t.Errorf("identity %s has a short or shared token", id.Name)
		}
		seen[tok] = true
	}
	if err := c.writeKubeconfigs(pki); err != nil {
		t.Fatal(err)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", c.Kubeconfig())
	if err != nil {
		t.Fatalf("admin kubeconfig does not load: %v", err)
	}
	if cfg.Host != c.APIServerURL() || cfg.BearerToken != tokens["admin"] || len(cfg.CAData) == 0 {
		t.Errorf("admin kubeconfig: host %s, token matches %v, CA %d bytes", cfg.Host, cfg.BearerToken == tokens["admin"], len(cfg.CAData))
	}
	info, _ := os.Stat(c.Kubeconfig())
	if info.Mode().Perm() != 0o600 {
		t.Errorf("kubeconfig mode %v, want 0600 (it holds a token)", info.Mode().Perm())
	}
	for _, id := range kubeIdentities[1:] {
		if _, err := clientcmd.BuildConfigFromFlags("", c.kubeconfigPath(id.Name)); err != nil {
			t.Errorf("%s kubeconfig: %v", id.Name, err)
		}
	}
}

func readCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	block, _ := pem.Decode(mustRead(t, path))
	if block == nil {
		t.Fatalf("%s is not PEM", path)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
