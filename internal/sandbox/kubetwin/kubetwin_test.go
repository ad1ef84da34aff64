package kubetwin

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadConfig(t *testing.T) {
	dir := t.TempDir()
	write := func(body string) string {
		p := filepath.Join(dir, "kube-twin.json")
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := `{"control":"127.0.0.1:4580","clusters":[{"name":"demo-staging","kubeconfig":"/k","apiServer":"127.0.0.1:6444","proxyListen":"127.0.0.1:7444","strictPulls":true,
	  "nodeIdentity":{"endpoint":"http://127.0.0.1:4566","region":"ap-southeast-2","accessKeyId":"AKIA","secretAccessKey":"s"}}]}`
	c, err := ReadConfig(write(good))
	if err != nil || len(c.Clusters) != 1 || !c.Clusters[0].StrictPulls || c.Clusters[0].NodeIdentity.Endpoint != "http://127.0.0.1:4566" || c.Clusters[0].keychain() == nil {
		t.Fatalf("ReadConfig = %+v, %v", c, err)
	}
	for body, want := range map[string]string{
		`{"control":"127.0.0.1:4580","clusters":[]}`:                                                                                        "at least one cluster",
		`{"control":"127.0.0.1:4580","clusters":[{"name":"a","kubeconfig":"/k"}]}`:                                                          `cluster "a" needs`,
		`{"control":"x","clusters":[` + strings.Repeat(`{"name":"a","kubeconfig":"/k","apiServer":"h:1","proxyListen":"h:2"},`, 2) + `{}]}`: "cluster a twice",
		`not json`: "kube twin config",
	} {
		if _, err := ReadConfig(write(body)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ReadConfig(%s) = %v, want %q", body, err, want)
		}
	}
}
