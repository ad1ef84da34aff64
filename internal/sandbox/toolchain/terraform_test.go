package toolchain

import (
	"errors"
	"strings"
	"testing"
)

func TestChooseTerraform(t *testing.T) {
	tf111 := terraformCandidate{Path: "/usr/local/bin/terraform", Flavor: "terraform", Version: "1.11.4"}
	tf14 := terraformCandidate{Path: "/opt/old/terraform", Flavor: "terraform", Version: "1.4.6"}
	tofu := terraformCandidate{Path: "/usr/bin/tofu", Flavor: "tofu", Version: "1.10.2"}
	broken := terraformCandidate{Path: "/bin/terraform", Flavor: "terraform", Err: errors.New("exec format error")}
	cases := []struct {
		name       string
		candidates []terraformCandidate
		want       string
		ok         bool
		rejected   int
	}{
		{"new terraform", []terraformCandidate{tf111, tofu}, tf111.Path, true, 0},
		{"old terraform falls through to tofu", []terraformCandidate{tf14, tofu}, tofu.Path, true, 1},
		{"broken then tofu", []terraformCandidate{broken, tofu}, tofu.Path, true, 1},
		{"only old", []terraformCandidate{tf14}, "", false, 1},
		{"nothing on PATH", nil, "", false, 0},
		{"exactly the minimum", []terraformCandidate{{Path: "/x/terraform", Version: "1.5.0"}}, "/x/terraform", true, 0},
		{"prerelease of the minimum is older", []terraformCandidate{{Path: "/x/terraform", Version: "1.5.0-beta1"}}, "", false, 1},
	}
	for _, c := range cases {
		got, ok, rejected := chooseTerraform(c.candidates, MinTerraformVersion)
		if ok != c.ok || got.Path != c.want || len(rejected) != c.rejected {
			t.Errorf("%s: got %q ok=%v rejected=%v; want %q ok=%v with %d rejected", c.name, got.Path, ok, rejected, c.want, c.ok, c.rejected)
		}
	}
}

func TestParseTerraformVersionJSON(t *testing.T) {
	v, err := parseTerraformVersionJSON([]byte(`{"terraform_version":"1.11.4","platform":"linux_amd64","provider_selections":{},"terraform_outdated":false}`))
	if err != nil || v != "1.11.4" {
		t.Errorf("terraform output: %q, %v", v, err)
	}
	// OpenTofu uses the same key.
	if v, err := parseTerraformVersionJSON([]byte(`{"terraform_version":"1.10.2","platform":"linux_amd64"}`)); err != nil || v != "1.10.2" {
		t.Errorf("tofu output: %q, %v", v, err)
	}
	if _, err := parseTerraformVersionJSON([]byte("Terraform v1.11.4")); err == nil || !strings.Contains(err.Error(), "terraform_version") {
		t.Errorf("text output accepted: %v", err)
	}
}

func TestBackendWarning(t *testing.T) {
	if w := (Terraform{Flavor: "terraform", Version: "1.5.7"}).BackendWarning(); !strings.Contains(w, "backend.hcl") {
		t.Errorf("terraform 1.5.7: warning %q, want one about backend.hcl", w)
	}
	if w := (Terraform{Flavor: "terraform", Version: "1.11.4"}).BackendWarning(); w != "" {
		t.Errorf("terraform 1.11.4: unexpected warning %q", w)
	}
}
