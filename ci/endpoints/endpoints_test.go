package endpoints

import (
	"strings"
	"testing"
)

func TestRebaseKeepsSchemeAndPort(t *testing.T) {
	cases := map[string]string{
		"http://127.0.0.1:4566":  "http://aws:4566",
		"https://127.0.0.1:6443": "https://aws:6443",
		"http://localhost":       "http://aws",
		"not a url":              "not a url",
	}
	for in, want := range cases {
		if got := Rebase(in, "aws"); got != want {
			t.Errorf("Rebase(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRewriteKubeServerOnlyTouchesLoopback(t *testing.T) {
	in := `apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: QUJD
    server: https://127.0.0.1:6443
  name: local
- cluster:
    server: "https://localhost:7443"
  name: other
- cluster:
    server: https://abc.gr7.eks.example:443
  name: remote
`
	out, n := RewriteKubeServer(in, "kubernetes")
	if n != 2 {
		t.Fatalf("rewrote %d servers, want 2:\n%s", n, out)
	}
	for _, want := range []string{"    server: https://kubernetes:6443\n", "    server: https://kubernetes:7443\n", "server: https://abc.gr7.eks.example:443", "certificate-authority-data: QUJD"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if _, n := RewriteKubeServer("server: http://127.0.0.1:8080\n", "k"); n != 0 {
		t.Errorf("plain http servers are not the apiserver: rewrote %d", n)
	}
}
