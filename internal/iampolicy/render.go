package iampolicy

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
	"github.com/zclconf/go-cty/cty/gocty"
)

// functions are the Terraform functions a policy template may call. Each is the go-cty stdlib
// function Terraform itself binds to that name, so a template renders to the same bytes here and in
// `terraform`. A template calling any other function fails to render (and blueprintcheck reports it).
var functions = map[string]function.Function{
	"concat":     stdlib.ConcatFunc,
	"distinct":   stdlib.DistinctFunc,
	"flatten":    stdlib.FlattenFunc,
	"join":       stdlib.JoinFunc,
	"jsonencode": stdlib.JSONEncodeFunc,
	"keys":       stdlib.KeysFunc,
	"lower":      stdlib.LowerFunc,
	"sort":       stdlib.SortFunc,
	"split":      stdlib.SplitFunc,
	"upper":      stdlib.UpperFunc,
	"values":     stdlib.ValuesFunc,
}

// Functions lists the function names templates may call, sorted.
func Functions() []string {
	out := make([]string, 0, len(functions))
	for n := range functions {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Template is a parsed policy template file.
type Template struct {
	// Path is the file's path relative to the repository root (slash-separated).
	Path string
	expr hclsyntax.Expression
}

// ParseTemplate reads root/rel as templatefile() does: HCL template syntax, the whole file.
func ParseTemplate(root, rel string) (*Template, error) {
	src, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
	if err != nil {
		return nil, fmt.Errorf("read policy template: %w", err)
	}
	expr, diags := hclsyntax.ParseTemplate(src, rel, hcl.InitialPos)
	if diags.HasErrors() {
		return nil, fmt.Errorf("parse policy template %s: %s", rel, diags.Error())
	}
	return &Template{Path: rel, expr: expr}, nil
}

// Variables are the names the template references, sorted: exactly what a templatefile() call must pass.
func (t *Template) Variables() []string {
	seen := map[string]bool{}
	for _, tr := range t.expr.Variables() {
		seen[tr.RootName()] = true
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// FunctionCalls are the names of the functions the template calls, sorted.
func (t *Template) FunctionCalls() []string {
	seen := map[string]bool{}
	hclsyntax.VisitAll(t.expr, func(n hclsyntax.Node) hcl.Diagnostics {
		if call, ok := n.(*hclsyntax.FunctionCallExpr); ok {
			seen[call.Name] = true
		}
		return nil
	})
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Render evaluates the template with vars the way Terraform's templatefile(path, vars) does: the vars
// are the only variables in scope, every name must be a valid identifier, every referenced name must
// be given, and the result is the template's value as a string.
func (t *Template) Render(vars map[string]cty.Value) (string, error) {
	for n := range vars {
		if !hclsyntax.ValidIdentifier(n) {
			return "", fmt.Errorf("%s: invalid template variable name %q", t.Path, n)
		}
	}
	for _, tr := range t.expr.Variables() {
		if _, ok := vars[tr.RootName()]; !ok {
			return "", fmt.Errorf("%s: vars do not contain %q, referenced at %s", t.Path, tr.RootName(), tr.SourceRange())
		}
	}
	val, diags := t.expr.Value(&hcl.EvalContext{Variables: vars, Functions: functions})
	if diags.HasErrors() {
		return "", fmt.Errorf("render %s: %s", t.Path, diags.Error())
	}
	if val.IsNull() || !val.IsWhollyKnown() || val.Type() != cty.String {
		return "", fmt.Errorf("render %s: the template must produce a string, got %s", t.Path, val.Type().FriendlyName())
	}
	return val.AsString(), nil
}

// Render parses root/rel and renders it with vars.
func Render(root, rel string, vars map[string]cty.Value) (string, error) {
	t, err := ParseTemplate(root, rel)
	if err != nil {
		return "", err
	}
	return t.Render(vars)
}

// VarsOf turns a template's typed inputs (a struct with `cty:"name"` tags) into templatefile() vars.
func VarsOf(in any) (map[string]cty.Value, error) {
	ty, err := gocty.ImpliedType(in)
	if err != nil {
		return nil, fmt.Errorf("template inputs %T: %w", in, err)
	}
	if !ty.IsObjectType() {
		return nil, fmt.Errorf("template inputs %T are not a struct", in)
	}
	v, err := gocty.ToCtyValue(in, ty)
	if err != nil {
		return nil, fmt.Errorf("template inputs %T: %w", in, err)
	}
	return v.AsValueMap(), nil
}
