package sandbox

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/platformteam/delivery/internal/sandbox/awsseed"
	"github.com/platformteam/delivery/internal/sandbox/toolchain"
	"github.com/platformteam/delivery/pkg/environment"
)

// The sandbox's environment must load with the project's own loader and agree with the addresses
// the sandbox serves.
func TestLocalEnvironmentMatchesSandbox(t *testing.T) {
	root, err := FindRepoRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	env, err := environment.Load(root, EnvName)
	if err != nil {
		t.Fatalf("load environments/local: %v", err)
	}
	if env.AccountID != "123456789012" || env.Region != "ap-southeast-2" {
		t.Errorf("account/region = %s/%s, want moto's default account in ap-southeast-2", env.AccountID, env.Region)
	}
	if env.Endpoints.AWS != MotoURL() {
		t.Errorf("endpoints.aws = %q, want %q", env.Endpoints.AWS, MotoURL())
	}
	if env.Endpoints.Registry != RegistryAddress() {
		t.Errorf("endpoints.registry = %q, want %q", env.Endpoints.Registry, RegistryAddress())
	}
	l, _ := NewLayout(root, "", "")
	if got, want := env.Path(env.Endpoints.Kubeconfig), l.primaryKubeconfig(); got != want {
		t.Errorf("endpoints.kubeconfig resolves to %s, want the sandbox's %s", got, want)
	}
	if want := toolchain.TerraformImageRef(RegistryAddress(), env.Terraform.Binary); env.Images.Terraform != want {
		t.Errorf("images.terraform = %q, want the image up serves: %q", env.Images.Terraform, want)
	}
	if !env.Local() {
		t.Error("local environment does not report Local()")
	}
	if env.ECS.Container != "app" || env.EKS.Namespace != "demo" || env.Image.Repository != "demo-app" {
		t.Errorf("unexpected names: %+v %+v %+v", env.ECS, env.EKS, env.Image)
	}
	attrs := readBackendAttributes(t, filepath.Join(env.DirPath(), "backend.hcl"))
	if got, want := attrs["bucket"], awsseed.StateBucketName(env.AccountID, env.Region); got != want {
		t.Errorf("backend.hcl bucket = %q, want the seeded %q", got, want)
	}
	if attrs["region"] != env.Region {
		t.Errorf("backend.hcl region = %q, want %q", attrs["region"], env.Region)
	}
	if attrs["endpoints.s3"] != MotoURL() || attrs["endpoints.dynamodb"] != MotoURL() {
		t.Errorf("backend.hcl endpoints = s3 %q dynamodb %q, want %s", attrs["endpoints.s3"], attrs["endpoints.dynamodb"], MotoURL())
	}
	for _, flag := range []string{"use_path_style", "use_lockfile", "skip_credentials_validation", "skip_requesting_account_id", "skip_metadata_api_check", "skip_region_validation"} {
		if attrs[flag] != "true" {
			t.Errorf("backend.hcl %s = %q, want true", flag, attrs[flag])
		}
	}
}

// readBackendAttributes evaluates backend.hcl's attributes to strings; object attributes are
// flattened to "name.key".
func readBackendAttributes(t *testing.T, path string) map[string]string {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	file, diags := hclsyntax.ParseConfig(src, path, hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatalf("parse %s: %v", path, diags)
	}
	attrs, diags := file.Body.JustAttributes()
	if diags.HasErrors() {
		t.Fatalf("%s: %v", path, diags)
	}
	out := map[string]string{}
	for name, attr := range attrs {
		v, diags := attr.Expr.Value(nil)
		if diags.HasErrors() {
			t.Fatalf("%s: %s: %v", path, name, diags)
		}
		if v.Type().IsObjectType() {
			for k, ev := range v.AsValueMap() {
				out[name+"."+k] = ev.AsString()
			}
			continue
		}
		s, err := convert.Convert(v, cty.String)
		if err != nil {
			t.Fatalf("%s: %s: %v", path, name, err)
		}
		out[name] = s.AsString()
	}
	return out
}
