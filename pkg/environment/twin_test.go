package environment

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/platformteam/delivery/pkg/addrmap"
)

func TestTwinRoundTrip(t *testing.T) {
	dir := t.TempDir()
	in := &Twin{Environment: "staging", AccountID: "222222222222", Region: "ap-southeast-2", AWS: "http://127.0.0.1:4566",
		Registry: "127.0.0.1:5002", ECRHost: "222222222222.dkr.ecr.ap-southeast-2.amazonaws.com",
		OIDC: TwinOIDC{Issuer: "https://token.actions.githubusercontent.com", Audience: "sts.amazonaws.com"}}
	if err := in.Write(dir); err != nil {
		t.Fatal(err)
	}
	out, err := LoadTwin(dir, "staging")
	if err != nil {
		t.Fatal(err)
	}
	if *out != *in {
		t.Errorf("round trip: %+v, want %+v", out, in)
	}
	if _, err := LoadTwin(dir, "production"); err == nil || !strings.Contains(err.Error(), "sandbox up") {
		t.Errorf("a missing declaration: %v", err)
	}
	bad := *in
	bad.Environment, bad.Registry = "production", ""
	if err := bad.Write(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadTwin(dir, "production"); err == nil || !strings.Contains(err.Error(), "registry is empty") {
		t.Errorf("an incomplete declaration: %v", err)
	}
}

func twinDecl(env, account, registry, kube string) *Twin {
	return &Twin{Environment: env, AccountID: account, Region: "ap-southeast-2", AWS: "http://127.0.0.1:4566", Registry: registry,
		ECRHost: account + ".dkr.ecr.ap-southeast-2.amazonaws.com", Kubernetes: TwinKubernetes{Cluster: "demo-" + env, Endpoint: kube}}
}

// TestTwinDial: a container reaches every address of the target twin through the alias bound for its
// port, and a promotion's source registry (another declared twin) through its ECR host.
func TestTwinDial(t *testing.T) {
	prod := twinDecl("production", "333333333333", "127.0.0.1:5003", "https://127.0.0.1:7445")
	stg := twinDecl("staging", "222222222222", "127.0.0.1:5002", "https://127.0.0.1:7444")
	bound := map[int]string{4566: "twin-4566", 5003: "twin-5003", 7445: "twin-7445", 5002: "twin-5002"}
	m, err := prod.Dial([]*Twin{stg, nil}, bound)
	if err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{
		"127.0.0.1:4566": "twin-4566:4566", "127.0.0.1:7445": "twin-7445:7445", "127.0.0.1:5003": "twin-5003:5003",
		"333333333333.dkr.ecr.ap-southeast-2.amazonaws.com:443": "twin-5003:5003",
		"222222222222.dkr.ecr.ap-southeast-2.amazonaws.com:80":  "twin-5002:5002",
		"127.0.0.1:7444": "127.0.0.1:7444", // staging's cluster is not production's business
	} {
		if got := m.Resolve(in); got != want {
			t.Errorf("%s → %s, want %s", in, got, want)
		}
	}
	delete(bound, 7445)
	if _, err := prod.Dial(nil, bound); err == nil || !strings.Contains(err.Error(), "--twin-service tcp://127.0.0.1:7445") {
		t.Errorf("a missing service must be named: %v", err)
	}
}

func TestTwinMatches(t *testing.T) {
	env := &Environment{Name: "staging", AccountID: "222222222222", Region: "ap-southeast-2"}
	if err := twinDecl("staging", "222222222222", "127.0.0.1:5002", "").Matches(env); err != nil {
		t.Fatal(err)
	}
	if err := twinDecl("staging", "333333333333", "127.0.0.1:5002", "").Matches(env); err == nil || !strings.Contains(err.Error(), "account 333333333333") {
		t.Errorf("another account: %v", err)
	}
	if _, err := ParseTwin([]byte(`{"environment":"staging","surprise":1}`), "staging"); err == nil {
		t.Error("unknown fields must be refused")
	}
}

// TestReadTwinRoute: the route file the Dagger module writes for `stacks account --twin` is read
// strictly and must be the twin of the environment the command guards.
func TestReadTwinRoute(t *testing.T) {
	prod := &Environment{Name: "production", AccountID: "333333333333", Region: "ap-southeast-2", Production: true}
	twin := &Twin{Environment: "production", AccountID: "333333333333", Region: "ap-southeast-2", AWS: "http://127.0.0.1:4566",
		Registry: "127.0.0.1:5003", ECRHost: "333333333333.dkr.ecr.ap-southeast-2.amazonaws.com"}
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	raw, err := json.Marshal(TwinRoute{Twin: twin, Dial: addrmap.Map{"127.0.0.1:4566": "twin-4566:4566"}})
	if err != nil {
		t.Fatal(err)
	}
	r, err := ReadTwinRoute(write("ok.json", string(raw)), prod)
	if err != nil || r.Twin.AccountID != "333333333333" || r.Dial["127.0.0.1:4566"] != "twin-4566:4566" {
		t.Fatalf("%+v %v", r, err)
	}
	staging := &Environment{Name: "staging", AccountID: "222222222222", Region: "ap-southeast-2"}
	for name, c := range map[string]struct {
		body string
		env  *Environment
		want string
	}{
		"another environment": {string(raw), staging, "declares environment"},
		"no twin":             {`{"dial":{}}`, prod, "declares no twin"},
		"unknown field":       {`{"twin":null,"endpoint":"x"}`, prod, "unknown field"},
	} {
		if _, err := ReadTwinRoute(write("bad.json", c.body), c.env); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", name, err, c.want)
		}
	}
}
