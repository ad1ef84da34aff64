package sandboxtest

import (
	"regexp"
	"strings"
	"testing"

	"github.com/platformteam/delivery/internal/sandbox"
)

func TestUniqueNameIsDNSSafeAndUnique(t *testing.T) {
	dns := regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)
	seen := map[string]bool{}
	for _, prefix := range []string{"TestHelm/Atomic_Rollback", "my_bucket", strings.Repeat("x", 80), "--"} {
		for range 50 {
			name := UniqueName(prefix)
			if !dns.MatchString(name) || len(name) > 63 {
				t.Fatalf("UniqueName(%q) = %q is not a DNS label", prefix, name)
			}
			if seen[name] {
				t.Fatalf("UniqueName repeated %q", name)
			}
			seen[name] = true
		}
	}
}

func TestCheckNamesTheMissingKey(t *testing.T) {
	l, _ := sandbox.NewLayout(t.TempDir(), "", "")
	s := fromVars(l, sandbox.EnvFile{
		sandbox.EnvAWSEndpoint: "http://127.0.0.1:4566", sandbox.EnvAWSRegion: "ap-southeast-2",
		sandbox.EnvAccountID: "123456789012", sandbox.EnvRegistry: "127.0.0.1:5000", sandbox.EnvKubeconfig: "/k",
	})
	err := s.check()
	if err == nil || !strings.Contains(err.Error(), sandbox.EnvTerraform) {
		t.Errorf("check = %v, want it to name %s", err, sandbox.EnvTerraform)
	}
	s.Terraform = "/usr/bin/terraform"
	if err := s.check(); err != nil {
		t.Errorf("complete env: %v", err)
	}
}
