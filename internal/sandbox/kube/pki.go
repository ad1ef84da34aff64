package kube

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/platformteam/delivery/internal/atomicfile"
)

// apiServerSANs are the names the API server's certificate is valid for: loopback, and the in-cluster
// and alias host names clients use when they reach it through a container network alias.
var apiServerSANs = []string{
	"127.0.0.1", "::1", "localhost",
	"kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local",
	"kube-apiserver", "10.96.0.1",
}

// kubeIdentity is one bearer token in the API server's token file.
type kubeIdentity struct {
	Name   string // kubeconfig file name and token file user
	User   string
	Groups []string
}

// kubeIdentities: the admin user clients get, and one user per control-plane component. The
// controller manager and scheduler users are the ones Kubernetes' bootstrap RBAC roles bind; kwok
// acts for every fake kubelet and gets cluster-admin through system:masters.
var kubeIdentities = []kubeIdentity{
	{Name: "admin", User: "sandbox-admin", Groups: []string{"system:masters"}},
	{Name: "kube-controller-manager", User: "system:kube-controller-manager"},
	{Name: "kube-scheduler", User: "system:kube-scheduler"},
	{Name: "kwok", User: "kwok-controller", Groups: []string{"system:masters"}},
}

// kubePKI is the cluster's key material under <state>/kube/pki.
type kubePKI struct{ dir string }

func (p kubePKI) CACert() string     { return filepath.Join(p.dir, "ca.crt") }
func (p kubePKI) CAKey() string      { return filepath.Join(p.dir, "ca.key") }
func (p kubePKI) ServerCert() string { return filepath.Join(p.dir, "apiserver.crt") }
func (p kubePKI) ServerKey() string  { return filepath.Join(p.dir, "apiserver.key") }
func (p kubePKI) SAKey() string      { return filepath.Join(p.dir, "sa.key") }
func (p kubePKI) SAPub() string      { return filepath.Join(p.dir, "sa.pub") }
func (p kubePKI) TokenFile() string  { return filepath.Join(p.dir, "tokens.csv") }

// ensure creates whatever key material is missing and keeps what exists, so restarts keep the same
// CA (kubeconfigs stay valid) and service-account tokens stay verifiable.
func (p kubePKI) ensure() error {
	if err := os.MkdirAll(p.dir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", p.dir, err)
	}
	if !exists(p.CACert()) || !exists(p.CAKey()) {
		if err := p.writeCA(); err != nil {
			return fmt.Errorf("create the cluster CA: %w", err)
		}
		os.Remove(p.ServerCert()) // a new CA invalidates the old serving certificate
	}
	if !exists(p.ServerCert()) || !exists(p.ServerKey()) {
		if err := p.writeServerCert(); err != nil {
			return fmt.Errorf("create the API server certificate: %w", err)
		}
	}
	if !exists(p.SAKey()) || !exists(p.SAPub()) {
		if err := p.writeServiceAccountKeys(); err != nil {
			return fmt.Errorf("create the service-account signing key: %w", err)
		}
	}
	if !exists(p.TokenFile()) {
		if err := p.writeTokens(); err != nil {
			return fmt.Errorf("create the token file: %w", err)
		}
	}
	return nil
}

func exists(path string) bool { _, err := os.Stat(path); return err == nil }

func (p kubePKI) writeCA() error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          randomSerial(),
		Subject:               pkix.Name{CommonName: "delivery-sandbox-ca"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	if err := writePEM(p.CAKey(), "EC PRIVATE KEY", mustMarshalEC(key), 0o600); err != nil {
		return err
	}
	return writePEM(p.CACert(), "CERTIFICATE", der, 0o644)
}

func (p kubePKI) loadCA() (*x509.Certificate, *ecdsa.PrivateKey, error) {
	certPEM, err := os.ReadFile(p.CACert())
	if err != nil {
		return nil, nil, err
	}
	keyPEM, err := os.ReadFile(p.CAKey())
	if err != nil {
		return nil, nil, err
	}
	cb, _ := pem.Decode(certPEM)
	kb, _ := pem.Decode(keyPEM)
	if cb == nil || kb == nil {
		return nil, nil, errors.New("CA files are not PEM: delete " + p.dir + " and run up again")
	}
	cert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return nil, nil, err
	}
	key, err := x509.ParseECPrivateKey(kb.Bytes)
	return cert, key, err
}

func (p kubePKI) writeServerCert() error {
	ca, caKey, err := p.loadCA()
	if err != nil {
		return err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{
		SerialNumber: randomSerial(),
		Subject:      pkix.Name{CommonName: "kube-apiserver"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().AddDate(5, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, san := range apiServerSANs {
		if ip := net.ParseIP(san); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, san)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return err
	}
	if err := writePEM(p.ServerKey(), "EC PRIVATE KEY", mustMarshalEC(key), 0o600); err != nil {
		return err
	}
	return writePEM(p.ServerCert(), "CERTIFICATE", der, 0o644)
}

func (p kubePKI) writeServiceAccountKeys() error {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return err
	}
	if err := writePEM(p.SAKey(), "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(key), 0o600); err != nil {
		return err
	}
	return writePEM(p.SAPub(), "PUBLIC KEY", pub, 0o644)
}

// writeTokens writes the static token file: token,user,uid,"group1,group2".
func (p kubePKI) writeTokens() error {
	var b strings.Builder
	for _, id := range kubeIdentities {
		token := make([]byte, 24)
		if _, err := rand.Read(token); err != nil {
			return err
		}
		fmt.Fprintf(&b, "%s,%s,%s,\"%s\"\n", hex.EncodeToString(token), id.User, id.User, strings.Join(id.Groups, ","))
	}
	return atomicfile.Write(p.TokenFile(), []byte(b.String()), 0o600)
}

// tokens maps each identity's Name to its bearer token, read from the token file.
func (p kubePKI) tokens() (map[string]string, error) {
	data, err := os.ReadFile(p.TokenFile())
	if err != nil {
		return nil, fmt.Errorf("read token file: %w", err)
	}
	byUser := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		fields := strings.SplitN(line, ",", 3)
		if len(fields) < 2 {
			return nil, fmt.Errorf("token file %s: malformed line (delete it and run up again)", p.TokenFile())
		}
		byUser[fields[1]] = fields[0]
	}
	out := map[string]string{}
	for _, id := range kubeIdentities {
		tok, ok := byUser[id.User]
		if !ok {
			return nil, fmt.Errorf("token file %s has no token for %s (delete it and run up again)", p.TokenFile(), id.User)
		}
		out[id.Name] = tok
	}
	return out, nil
}

func randomSerial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	return n
}

func mustMarshalEC(key *ecdsa.PrivateKey) []byte {
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		panic(fmt.Sprintf("marshal a freshly generated P-256 key: %v", err))
	}
	return der
}

func writePEM(path, blockType string, der []byte, mode os.FileMode) error {
	return atomicfile.Write(path, pem.EncodeToMemory(&pem.Block{Type: blockType, Bytes: der}), mode)
}
