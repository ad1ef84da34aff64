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

func TestThroughAliasRebasesOnTheBoundAliasOrRefuses(t *testing.T) {
	dial := map[string]string{"127.0.0.1:4566": "twin-4566:4566", "127.0.0.1:5002": "127.0.0.1:5002", "127.0.0.1:7000": "elsewhere:7000"}
	resolve := func(hp string) string {
		if to, ok := dial[hp]; ok {
			return to
		}
		return hp
	}
	aliases := map[string]bool{"twin-4566": true}
	got, err := ThroughAlias("http://127.0.0.1:4566", resolve, aliases)
	if err != nil || got != "http://twin-4566:4566" {
		t.Fatalf("ThroughAlias = %q, %v; want http://twin-4566:4566", got, err)
	}
	for _, raw := range []string{"http://127.0.0.1:5002", "http://127.0.0.1:9999", "http://127.0.0.1:7000", "not a url"} {
		got, err := ThroughAlias(raw, resolve, aliases)
		if err == nil {
			t.Errorf("ThroughAlias(%q) = %q, want a refusal", raw, got)
			continue
		}
		if raw != "not a url" && !strings.Contains(err.Error(), raw) {
			t.Errorf("ThroughAlias(%q): %v does not name the endpoint", raw, err)
		}
	}
}
