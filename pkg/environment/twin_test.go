package environment

import (
	"strings"
	"testing"
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
