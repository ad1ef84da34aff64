package blueprint

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, body := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

const typedStack = `
variable "environment" {
  type        = string
  description = "env"
}
variable "remote_state" {
  type        = any
  description = "backend"
}
variable "sizes" {
  type = object({
    min = number
    max = optional(number, 3)
  })
  description = "sizes"
}
variable "unused" {
  type        = string
  description = "has a default"
  default     = "d"
}
`

func inputsFor(t *testing.T, tfvars string) (Inputs, Findings) {
	t.Helper()
	root := writeTree(t, map[string]string{
		"stacks/a/variables.tf":          typedStack,
		"environments/dev/backend.hcl":   "bucket = \"b\"\nregion = \"ap-southeast-2\"\nkey = \"ignored\"\nendpoints = { s3 = \"http://127.0.0.1:1\" }\nuse_lockfile = true\n",
		"environments/dev/values.tfvars": tfvars,
	})
	bp, err := Load(root)
	if err != nil {
		t.Fatal(err)
	}
	ov, err := LoadOverlay(root, "dev")
	if err != nil {
		t.Fatal(err)
	}
	return StackInputs(bp.Stacks["a"], ov)
}

func TestStackInputsConvertsToDeclaredTypesAndAddsEngineVariables(t *testing.T) {
	in, fs := inputsFor(t, "sizes = { min = 1 }\nother = \"not declared by the stack\"\n")
	if len(fs) > 0 {
		t.Fatal(fs)
	}
	raw, err := in.JSON()
	if err != nil {
		t.Fatal(err)
	}
	got := string(raw)
	for _, want := range []string{`"environment":"dev"`, `"sizes":{"max":3,"min":1}`, `"endpoints":{"s3":"http://127.0.0.1:1"}`} {
		if !strings.Contains(got, want) {
			t.Errorf("inputs %s lack %s", got, want)
		}
	}
	for _, absent := range []string{"other", "ignored", "unused"} {
		if strings.Contains(got, absent) {
			t.Errorf("inputs %s must not contain %s", got, absent)
		}
	}
}

func TestStackInputsRejectsWrongTypesAtTheTfvarsLine(t *testing.T) {
	_, fs := inputsFor(t, "# sizes\nsizes = { min = \"many\" }\n")
	if len(fs) != 1 {
		t.Fatalf("want one finding, got %v", fs)
	}
	f := fs[0]
	if f.Rule != RuleTFVarsType || f.File != "environments/dev/values.tfvars" || f.Line != 2 || !strings.Contains(f.Message, "min") {
		t.Fatalf("got %+v", f)
	}
}

func TestStackInputsReportsMissingRequiredVariables(t *testing.T) {
	_, fs := inputsFor(t, "")
	if len(fs) != 1 || fs[0].Rule != RuleStackInputs || !strings.Contains(fs[0].Message, `"sizes"`) {
		t.Fatalf("got %v", fs)
	}
}

func TestLoadOverlayRequiresBackendAndEnvironment(t *testing.T) {
	root := writeTree(t, map[string]string{"environments/dev/values.tfvars": "a = 1\n"})
	if _, err := LoadOverlay(root, "dev"); err == nil || !strings.Contains(err.Error(), "backend.hcl") {
		t.Fatalf("want missing backend.hcl error, got %v", err)
	}
	if _, err := LoadOverlay(root, "prod"); err == nil || !strings.Contains(err.Error(), "unknown environment") {
		t.Fatalf("want unknown environment error, got %v", err)
	}
}

func TestLoadRequiresStacksDir(t *testing.T) {
	if _, err := Load(t.TempDir()); err == nil || !strings.Contains(err.Error(), "--root") {
		t.Fatalf("got %v", err)
	}
}

func TestModulesUsedByIsTransitive(t *testing.T) {
	root := writeTree(t, map[string]string{
		"modules/outer/main.tf": "module \"inner\" {\n  source = \"../inner\"\n}\n",
		"modules/inner/main.tf": "locals {\n  a = 1\n}\n",
		"stacks/s/main.tf":      "module \"o\" {\n  source = \"../../modules/outer\"\n}\n",
	})
	bp, err := Load(root)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range bp.ModulesUsedBy(bp.Stacks["s"]) {
		names = append(names, m.Name)
	}
	if strings.Join(names, ",") != "inner,outer" {
		t.Fatalf("got %v", names)
	}
}

func TestNeedsProviders(t *testing.T) {
	root := writeTree(t, map[string]string{
		"modules/aws/main.tf":   "resource \"aws_s3_bucket\" \"b\" {}\n",
		"stacks/free/main.tf":   "resource \"terraform_data\" \"x\" {}\ndata \"terraform_remote_state\" \"r\" {\n  backend = \"s3\"\n}\n",
		"stacks/direct/main.tf": "provider \"aws\" {}\n",
		"stacks/req/main.tf":    "terraform {\n  required_providers {\n    local = { source = \"hashicorp/local\" }\n  }\n}\n",
		"stacks/viamod/main.tf": "module \"a\" {\n  source = \"../../modules/aws\"\n}\n",
	})
	bp, err := Load(root)
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]bool{"free": false, "direct": true, "req": true, "viamod": true} {
		if got := bp.NeedsProviders(bp.Stacks[id]); got != want {
			t.Errorf("%s: NeedsProviders = %v, want %v", id, got, want)
		}
	}
}
