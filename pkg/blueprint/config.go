package blueprint

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// Config is what the blueprint needs to know about one Terraform directory (a module or a stack).
type Config struct {
	// Dir is the directory relative to the blueprint root (slash-separated), e.g. "stacks/shared/vpc".
	Dir string
	// Files are the .tf files read, relative to the blueprint root, sorted.
	Files       []string
	Variables   map[string]*Variable
	Outputs     map[string]*Output
	ModuleCalls []*ModuleCall
	// ModuleRefs are every `module.<name>.<output>` reference in the directory's expressions.
	ModuleRefs   []*ModuleRef
	RemoteStates []*RemoteState
	// Locals are the `locals` attributes by name (remote-state keys may be built from them).
	Locals    map[string]hcl.Expression
	Backends  []*Backend
	Providers []*Provider
	// ResourceTypes are the types of every resource and data block ("aws_s3_bucket", "terraform_data").
	ResourceTypes []string
	// RequiredProviders are the names in terraform { required_providers { ... } }.
	RequiredProviders []string
	// RequiredVersion is terraform { required_version } (nil when absent or not a literal string).
	RequiredVersion *VersionConstraint
	// ProviderVersions are the version constraints in required_providers, by provider name ("" when
	// the entry sets no version).
	ProviderVersions map[string]*VersionConstraint
	// Syntax holds parse errors; the other fields are filled from whatever parsed.
	Syntax Findings
}

// Variable is a `variable` block.
type Variable struct {
	Name string
	// Type is the declared type constraint; cty.DynamicPseudoType when untyped or `any`.
	Type        cty.Type
	Defaults    *typeexpr.Defaults
	Typed       bool
	Description string
	HasDefault  bool
	Range       hcl.Range
}

// Required reports whether the variable must be given a value.
func (v *Variable) Required() bool { return !v.HasDefault }

// Output is an `output` block.
type Output struct {
	Name        string
	Description string
	Range       hcl.Range
}

// ModuleCall is a `module` block.
type ModuleCall struct {
	Name   string
	Source string
	// Inputs are the argument names passed to the module (meta-arguments excluded).
	Inputs map[string]hcl.Range
	Range  hcl.Range
}

// Local reports whether the module source is a path inside the repository.
func (m *ModuleCall) Local() bool {
	return strings.HasPrefix(m.Source, "./") || strings.HasPrefix(m.Source, "../")
}

// ModuleRef is a reference `module.<Module>.<Output>`.
type ModuleRef struct {
	Module string
	Output string
	Range  hcl.Range
}

// RemoteState is a `data "terraform_remote_state"` block.
type RemoteState struct {
	Name    string
	Backend string
	// Config is the `config` argument expression, resolved by ResolveRemoteState.
	Config hcl.Expression
	Range  hcl.Range
}

// Backend is a `terraform { backend "<type>" { ... } }` block.
type Backend struct {
	Type string
	// Attributes are the names set inline (a partial backend sets none of bucket/key/region).
	Attributes []string
	Range      hcl.Range
}

// VersionConstraint is a version constraint as written ("~> 5.0", ">= 1.10, < 2.0") and where.
type VersionConstraint struct {
	Constraint string
	Range      hcl.Range
}

// Provider is a `provider` block.
type Provider struct {
	Name string
	// DefaultTags is the expression of default_tags { tags = ... } (nil when absent).
	DefaultTags hcl.Expression
	Range       hcl.Range
}

var moduleMetaArgs = map[string]bool{
	"source": true, "version": true, "count": true, "for_each": true, "providers": true, "depends_on": true,
}

// ParseDir reads every *.tf file directly inside root/dir. Parse errors are returned in Config.Syntax
// (with file:line) rather than as an error; the error is for I/O problems only.
func ParseDir(root, dir string) (*Config, error) {
	abs := filepath.Join(root, filepath.FromSlash(dir))
	entries, err := os.ReadDir(abs)
	if err != nil {
		return nil, fmt.Errorf("read terraform directory %s: %w", dir, err)
	}
	cfg := &Config{Dir: dir, Variables: map[string]*Variable{}, Outputs: map[string]*Output{}, Locals: map[string]hcl.Expression{}}
	parser := hclparse.NewParser()
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".tf") {
			continue
		}
		rel := dir + "/" + e.Name()
		src, err := os.ReadFile(filepath.Join(abs, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", rel, err)
		}
		cfg.Files = append(cfg.Files, rel)
		file, diags := parser.ParseHCL(src, rel)
		cfg.Syntax = append(cfg.Syntax, diagFindings(diags, "hcl-syntax", "fix the HCL syntax at this line (terraform fmt shows it too)")...)
		if file == nil || diags.HasErrors() {
			continue
		}
		body, ok := file.Body.(*hclsyntax.Body)
		if !ok {
			continue
		}
		cfg.addBody(body)
	}
	sort.Strings(cfg.Files)
	return cfg, nil
}

func (c *Config) addBody(body *hclsyntax.Body) {
	c.ModuleRefs = append(c.ModuleRefs, moduleRefs(body)...)
	for _, b := range body.Blocks {
		switch b.Type {
		case "variable":
			if len(b.Labels) == 1 {
				c.Variables[b.Labels[0]] = parseVariable(b)
			}
		case "locals":
			for name, a := range b.Body.Attributes {
				c.Locals[name] = a.Expr
			}
		case "output":
			if len(b.Labels) == 1 {
				c.Outputs[b.Labels[0]] = &Output{Name: b.Labels[0], Description: literalString(b.Body, "description"), Range: b.DefRange()}
			}
		case "module":
			if len(b.Labels) == 1 {
				c.ModuleCalls = append(c.ModuleCalls, parseModuleCall(b))
			}
		case "resource":
			if len(b.Labels) == 2 {
				c.ResourceTypes = append(c.ResourceTypes, b.Labels[0])
			}
		case "data":
			if len(b.Labels) == 2 {
				c.ResourceTypes = append(c.ResourceTypes, b.Labels[0])
			}
			if len(b.Labels) == 2 && b.Labels[0] == "terraform_remote_state" {
				rs := &RemoteState{Name: b.Labels[1], Backend: literalString(b.Body, "backend"), Range: b.DefRange()}
				if a, ok := b.Body.Attributes["config"]; ok {
					rs.Config = a.Expr
				}
				c.RemoteStates = append(c.RemoteStates, rs)
			}
		case "terraform":
			if a, ok := b.Body.Attributes["required_version"]; ok {
				if v, diags := a.Expr.Value(nil); !diags.HasErrors() && v.Type() == cty.String && v.IsKnown() && !v.IsNull() {
					c.RequiredVersion = &VersionConstraint{Constraint: v.AsString(), Range: a.SrcRange}
				}
			}
			for _, inner := range b.Body.Blocks {
				if inner.Type == "required_providers" {
					for name, a := range inner.Body.Attributes {
						c.RequiredProviders = append(c.RequiredProviders, name)
						if c.ProviderVersions == nil {
							c.ProviderVersions = map[string]*VersionConstraint{}
						}
						c.ProviderVersions[name] = &VersionConstraint{Constraint: providerVersion(a.Expr), Range: a.SrcRange}
					}
				}
				if inner.Type == "backend" && len(inner.Labels) == 1 {
					be := &Backend{Type: inner.Labels[0], Range: inner.DefRange()}
					for name := range inner.Body.Attributes {
						be.Attributes = append(be.Attributes, name)
					}
					sort.Strings(be.Attributes)
					c.Backends = append(c.Backends, be)
				}
			}
		case "provider":
			if len(b.Labels) == 1 {
				p := &Provider{Name: b.Labels[0], Range: b.DefRange()}
				for _, inner := range b.Body.Blocks {
					if inner.Type == "default_tags" {
						if a, ok := inner.Body.Attributes["tags"]; ok {
							p.DefaultTags = a.Expr
						}
					}
				}
				c.Providers = append(c.Providers, p)
			}
		}
	}
}

func parseVariable(b *hclsyntax.Block) *Variable {
	v := &Variable{Name: b.Labels[0], Type: cty.DynamicPseudoType, Range: b.DefRange()}
	if a, ok := b.Body.Attributes["type"]; ok {
		ty, defaults, diags := typeexpr.TypeConstraintWithDefaults(a.Expr)
		if !diags.HasErrors() {
			v.Type, v.Defaults, v.Typed = ty, defaults, true
		}
	}
	v.Description = literalString(b.Body, "description")
	_, v.HasDefault = b.Body.Attributes["default"]
	return v
}

func parseModuleCall(b *hclsyntax.Block) *ModuleCall {
	m := &ModuleCall{Name: b.Labels[0], Source: literalString(b.Body, "source"), Inputs: map[string]hcl.Range{}, Range: b.DefRange()}
	for name, a := range b.Body.Attributes {
		if !moduleMetaArgs[name] {
			m.Inputs[name] = a.NameRange
		}
	}
	return m
}

// literalString returns a constant string attribute's value, or "" when absent or not constant.
func literalString(body *hclsyntax.Body, name string) string {
	a, ok := body.Attributes[name]
	if !ok {
		return ""
	}
	v, diags := a.Expr.Value(nil)
	if diags.HasErrors() || !v.IsKnown() || v.IsNull() || v.Type() != cty.String {
		return ""
	}
	return v.AsString()
}

// moduleRefs collects every module.<name>.<output> traversal in the body, nested blocks included.
func moduleRefs(body *hclsyntax.Body) []*ModuleRef {
	var refs []*ModuleRef
	var walk func(b *hclsyntax.Body)
	walk = func(b *hclsyntax.Body) {
		for _, a := range b.Attributes {
			for _, tr := range a.Expr.Variables() {
				if ref := moduleRef(tr); ref != nil {
					refs = append(refs, ref)
				}
			}
		}
		for _, inner := range b.Blocks {
			walk(inner.Body)
		}
	}
	walk(body)
	return refs
}

func moduleRef(tr hcl.Traversal) *ModuleRef {
	if tr.RootName() != "module" || len(tr) < 3 {
		return nil
	}
	name, ok := tr[1].(hcl.TraverseAttr)
	if !ok {
		return nil
	}
	rest := tr[2:]
	if _, indexed := rest[0].(hcl.TraverseIndex); indexed { // module.x[0].out or module.x["k"].out
		if len(rest) < 2 {
			return nil
		}
		rest = rest[1:]
	}
	out, ok := rest[0].(hcl.TraverseAttr)
	if !ok {
		return nil
	}
	return &ModuleRef{Module: name.Name, Output: out.Name, Range: tr.SourceRange()}
}

// providerVersion is the version of a required_providers entry: the `version` of an object, or the
// legacy bare string; "" when it sets none (or not as a literal).
func providerVersion(expr hcl.Expression) string {
	v, diags := expr.Value(nil)
	if diags.HasErrors() || !v.IsKnown() || v.IsNull() {
		return ""
	}
	switch {
	case v.Type() == cty.String:
		return v.AsString()
	case v.Type().IsObjectType() && v.Type().HasAttribute("version"):
		if ver := v.GetAttr("version"); ver.Type() == cty.String && ver.IsKnown() && !ver.IsNull() {
			return ver.AsString()
		}
	}
	return ""
}
