package blueprint

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/zclconf/go-cty/cty"
)

// EnvironmentsDir holds one overlay folder per environment, relative to the repository root.
const EnvironmentsDir = "environments"

// BackendFileName is the partial backend configuration of an environment.
const BackendFileName = "backend.hcl"

// Overlay is an environment's Terraform overlay: environments/<env>/backend.hcl and *.tfvars.
type Overlay struct {
	Name string
	// Dir is environments/<env>, relative to the repository root.
	Dir string
	// BackendFile is the backend.hcl path relative to the repository root.
	BackendFile string
	// Backend holds backend.hcl's settings (evaluated, no variables allowed).
	Backend map[string]cty.Value
	// BackendLines maps a backend setting to its line, for findings.
	BackendLines map[string]int
	// TFVars are the environment's *.tfvars files in name order (a later file overrides an earlier one).
	TFVars []*TFVarsFile
	// Syntax holds parse errors in backend.hcl and the tfvars files.
	Syntax Findings
}

// TFVarsFile is one parsed tfvars file.
type TFVarsFile struct {
	// Path is relative to the repository root.
	Path   string
	Values map[string]TFVar
}

// TFVar is one value of a tfvars file with where it was written.
type TFVar struct {
	Value cty.Value
	File  string
	Line  int
}

// LoadOverlay reads environments/<env> under repoRoot. A missing directory or backend.hcl is an error
// (nothing can run without them); malformed files are kept as findings in Overlay.Syntax.
func LoadOverlay(repoRoot, env string) (*Overlay, error) {
	dir := EnvironmentsDir + "/" + env
	absDir := filepath.Join(repoRoot, EnvironmentsDir, env)
	if st, err := os.Stat(absDir); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("unknown environment %q: %s does not exist (create it with backend.hcl and tfvars)", env, dir)
	}
	ov := &Overlay{Name: env, Dir: dir, BackendFile: dir + "/" + BackendFileName, BackendLines: map[string]int{}}
	src, err := os.ReadFile(filepath.Join(absDir, BackendFileName))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("environment %q has no %s: create it with bucket, region and use_lockfile (see docs/CONVENTIONS.md)", env, ov.BackendFile)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", ov.BackendFile, err)
	}
	values, syntax := parseValuesFile(src, ov.BackendFile)
	ov.Syntax = append(ov.Syntax, syntax...)
	ov.Backend = map[string]cty.Value{}
	for k, v := range values {
		ov.Backend[k] = v.Value
		ov.BackendLines[k] = v.Line
	}
	entries, err := os.ReadDir(absDir)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() && (strings.HasSuffix(e.Name(), ".tfvars") || strings.HasSuffix(e.Name(), ".tfvars.json")) {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	for _, n := range names {
		rel := dir + "/" + n
		src, err := os.ReadFile(filepath.Join(absDir, n))
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", rel, err)
		}
		values, syntax := parseValuesFile(src, rel)
		ov.Syntax = append(ov.Syntax, syntax...)
		ov.TFVars = append(ov.TFVars, &TFVarsFile{Path: rel, Values: values})
	}
	return ov, nil
}

// parseValuesFile parses a tfvars-shaped file (HCL or JSON): constant attributes only.
func parseValuesFile(src []byte, name string) (map[string]TFVar, Findings) {
	parser := hclparse.NewParser()
	var file *hcl.File
	var diags hcl.Diagnostics
	if strings.HasSuffix(name, ".json") {
		file, diags = parser.ParseJSON(src, name)
	} else {
		file, diags = parser.ParseHCL(src, name)
	}
	out := map[string]TFVar{}
	if diags.HasErrors() {
		return out, diagFindings(diags, "hcl-syntax", "fix the syntax of this file")
	}
	attrs, diags := file.Body.JustAttributes()
	findings := diagFindings(diags, "hcl-syntax", "this file may only hold name = value lines")
	for name, a := range attrs {
		v, d := a.Expr.Value(nil)
		if d.HasErrors() {
			findings = append(findings, diagFindings(d, "tfvars-constant", "values in this file must be constants (no variables or functions)")...)
			continue
		}
		out[name] = TFVar{Value: v, File: a.Range.Filename, Line: a.Range.Start.Line}
	}
	return out, findings
}

// Value returns the effective value of a variable across the tfvars files (the last file wins).
func (o *Overlay) Value(name string) (TFVar, bool) {
	var found TFVar
	ok := false
	for _, f := range o.TFVars {
		if v, has := f.Values[name]; has {
			found, ok = v, true
		}
	}
	return found, ok
}

// RemoteStateSettings is the engine-supplied var.remote_state: backend.hcl's settings minus key.
func (o *Overlay) RemoteStateSettings() cty.Value {
	attrs := map[string]cty.Value{}
	for k, v := range o.Backend {
		if k != "key" {
			attrs[k] = v
		}
	}
	if len(attrs) == 0 {
		return cty.EmptyObjectVal
	}
	return cty.ObjectVal(attrs)
}
