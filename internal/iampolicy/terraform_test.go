package iampolicy

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// terraformBinary is the terraform that renders the templates for comparison: $TERRAFORM, else the
// machine's /usr/local/bin/terraform, else terraform on PATH.
func terraformBinary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("TERRAFORM"); p != "" {
		return p
	}
	if _, err := os.Stat("/usr/local/bin/terraform"); err == nil {
		return "/usr/local/bin/terraform"
	}
	p, err := exec.LookPath("terraform")
	if err != nil {
		t.Fatal("terraform binary not found (set TERRAFORM or put terraform on PATH): this test compares the Go rendering with terraform's templatefile()")
	}
	return p
}

type renderCase struct {
	name     string
	template string
	vars     map[string]cty.Value
}

// renderCases are every template with its example inputs, and every template with the inputs each
// real environment passes.
func renderCases(t *testing.T) []renderCase {
	t.Helper()
	var cases []renderCase
	for _, use := range Templates() {
		vars, err := VarsOf(use.Example)
		if err != nil {
			t.Fatal(err)
		}
		cases = append(cases, renderCase{name: "example " + use.Path, template: use.Path, vars: vars})
	}
	for _, env := range []string{"development", "staging", "production"} {
		s, err := LoadSettings(repoRoot(t), env)
		if err != nil {
			t.Fatal(err)
		}
		in := InputsFor(s)
		add := func(path string, inputs any) {
			vars, err := VarsOf(inputs)
			if err != nil {
				t.Fatal(err)
			}
			cases = append(cases, renderCase{name: env + " " + path, template: path, vars: vars})
		}
		add(TemplateTrustCI, in.TrustApply)
		if in.TrustPlan != nil {
			add(TemplateTrustCI, *in.TrustPlan)
		}
		add(TemplateTrustCodeBuild, in.TrustCodeBuild)
		add(TemplateReadOnly, in.ReadOnly)
		add(TemplateApply, in.Apply)
		add(TemplateDeploy, in.Deploy)
		add(TemplateCodeBuild, in.CodeBuild)
		add(TemplateEKSAccessEntries, in.AccessEntries)
		if in.ECRPull != nil {
			add(TemplateECRPull, *in.ECRPull)
		}
		add(TemplateSigningKey, in.SigningKey)
	}
	// Without GitHub: the trust keeps only the CodeBuild statement, no read roles get access entries.
	noGitHub := TrustCIInputs{Subjects: []string{}, CodeBuildRoleARN: strPtr("arn:aws:iam::111111111111:role/x")}
	vars, _ := VarsOf(noGitHub)
	cases = append(cases, renderCase{name: "trust without GitHub", template: TemplateTrustCI, vars: vars})
	entries, _ := VarsOf(EKSAccessEntriesInputs{ReadRoleARNs: map[string]string{}, Namespaces: []string{"a", "b"}, DeployerGroup: "g"})
	cases = append(cases, renderCase{name: "access entries without roles", template: TemplateEKSAccessEntries, vars: entries})
	return cases
}

func strPtr(s string) *string { return &s }

// TestRenderingMatchesTerraform is the proof of "one source": terraform's own templatefile() and this
// package render every template, with the same inputs, to the same bytes.
func TestRenderingMatchesTerraform(t *testing.T) {
	tf := terraformBinary(t)
	root := repoRoot(t)
	cases := renderCases(t)
	covered := map[string]bool{}

	dir := t.TempDir()
	var main strings.Builder
	for i, c := range cases {
		covered[c.template] = true
		obj := cty.ObjectVal(c.vars)
		raw, err := ctyjson.Marshal(obj, obj.Type())
		if err != nil {
			t.Fatal(err)
		}
		varsFile := fmt.Sprintf("vars_%d.json", i)
		if err := os.WriteFile(filepath.Join(dir, varsFile), raw, 0o644); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&main, "output \"case_%d\" {\n  value = templatefile(%q, jsondecode(file(\"${path.module}/%s\")))\n}\n",
			i, filepath.Join(root, filepath.FromSlash(c.template)), varsFile)
	}
	for _, use := range Templates() {
		if !covered[use.Path] {
			t.Errorf("no case renders %s", use.Path)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(main.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "terraformrc")
	if err := os.WriteFile(cfg, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) []byte {
		cmd := exec.Command(tf, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "TF_IN_AUTOMATION=1", "TF_INPUT=0", "CHECKPOINT_DISABLE=1", "TF_CLI_CONFIG_FILE="+cfg)
		start := time.Now()
		out, err := cmd.Output()
		if err != nil {
			var stderr string
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = string(ee.Stderr)
			}
			t.Fatalf("terraform %s: %v\n%s\n%s", strings.Join(args, " "), err, out, stderr)
		}
		t.Logf("terraform %s: %s", args[0], time.Since(start).Round(time.Millisecond))
		return out
	}
	run("init", "-input=false", "-no-color")
	run("apply", "-auto-approve", "-input=false", "-no-color")
	var outputs map[string]struct {
		Value string `json:"value"`
	}
	if err := json.Unmarshal(run("output", "-json", "-no-color"), &outputs); err != nil {
		t.Fatalf("terraform output -json: %v", err)
	}
	for i, c := range cases {
		got, err := Render(root, c.template, c.vars)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		want, ok := outputs[fmt.Sprintf("case_%d", i)]
		if !ok {
			t.Errorf("%s: terraform printed no output", c.name)
			continue
		}
		if got != want.Value {
			t.Errorf("%s: Go rendering differs from terraform's\n go:        %q\n terraform: %q", c.name, got, want.Value)
		}
	}
	t.Logf("%d renderings of %d templates agree with %s", len(cases), len(covered), tf)
}

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, Dir)); err != nil {
		t.Fatalf("repository root %s has no %s", root, Dir)
	}
	return root
}
