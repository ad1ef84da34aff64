package blueprint

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// Variables the engine supplies to every stack that declares them (docs/CONVENTIONS.md).
const (
	EngineVarEnvironment = "environment"
	EngineVarRemoteState = "remote_state"
)

// Inputs are the values a stack receives in one environment, already converted to the declared types.
type Inputs struct {
	Values map[string]cty.Value
}

// JSON renders the inputs as a tfvars.json document (sorted keys, so it hashes stably).
func (in Inputs) JSON() ([]byte, error) {
	names := make([]string, 0, len(in.Values))
	for n := range in.Values {
		names = append(names, n)
	}
	sort.Strings(names)
	buf := []byte{'{'}
	for i, n := range names {
		v := in.Values[n]
		raw, err := ctyjson.Marshal(v, v.Type())
		if err != nil {
			return nil, fmt.Errorf("encode variable %s: %w", n, err)
		}
		if i > 0 {
			buf = append(buf, ',')
		}
		key, _ := ctyjson.Marshal(cty.StringVal(n), cty.String)
		buf = append(buf, key...)
		buf = append(buf, ':')
		buf = append(buf, raw...)
	}
	return append(buf, '}'), nil
}

// StackInputs gathers the values of every variable the stack declares from the engine variables and the
// environment's tfvars, checking each against the declared type with go-cty before terraform runs.
// Values for variables the stack does not declare are left out. Problems come back as findings located
// at the tfvars line (wrong type) or the variable declaration (required but missing).
func StackInputs(st *Stack, ov *Overlay) (Inputs, Findings) {
	in := Inputs{Values: map[string]cty.Value{}}
	var findings Findings
	names := make([]string, 0, len(st.Variables))
	for n := range st.Variables {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		decl := st.Variables[name]
		var raw cty.Value
		var file string
		var line int
		switch name {
		case EngineVarEnvironment:
			raw, file = cty.StringVal(ov.Name), ov.Dir
		case EngineVarRemoteState:
			raw, file = ov.RemoteStateSettings(), ov.BackendFile
		default:
			tv, ok := ov.Value(name)
			if !ok {
				if decl.Required() {
					findings = append(findings, Finding{File: decl.Range.Filename, Line: decl.Range.Start.Line, Rule: "stack-inputs", Severity: Error,
						Message: fmt.Sprintf("stack %s requires variable %q but environment %s sets no value for it", st.ID, name, ov.Name),
						Hint:    fmt.Sprintf("add %s = ... to a tfvars file in %s or give the variable a default", name, ov.Dir)})
				}
				continue
			}
			raw, file, line = tv.Value, tv.File, tv.Line
		}
		val, err := convertToDeclared(raw, decl)
		if err != nil {
			findings = append(findings, Finding{File: file, Line: line, Rule: "tfvars-type", Severity: Error,
				Message: fmt.Sprintf("value of %q does not fit stack %s's type %s: %s", name, st.ID, typeexpr.TypeString(decl.Type), err),
				Hint:    fmt.Sprintf("change the value in %s or the variable's type in %s", file, decl.Range.Filename)})
			continue
		}
		in.Values[name] = val
	}
	return in, findings
}

func convertToDeclared(v cty.Value, decl *Variable) (cty.Value, error) {
	if decl.Defaults != nil {
		v = decl.Defaults.Apply(v)
	}
	out, err := convert.Convert(v, decl.Type)
	if err != nil {
		return cty.NilVal, fmt.Errorf("%s", convertMessage(err))
	}
	return out, nil
}

func convertMessage(err error) string {
	if pe, ok := err.(cty.PathError); ok && len(pe.Path) > 0 {
		return fmt.Sprintf("at %s: %s", pathString(pe.Path), pe.Error())
	}
	return err.Error()
}

func pathString(p cty.Path) string {
	s := ""
	for _, step := range p {
		switch st := step.(type) {
		case cty.GetAttrStep:
			s += "." + st.Name
		case cty.IndexStep:
			if st.Key.Type() == cty.String {
				s += fmt.Sprintf("[%q]", st.Key.AsString())
			} else if st.Key.Type() == cty.Number {
				s += "[" + st.Key.AsBigFloat().String() + "]"
			}
		}
	}
	if s == "" {
		return "value"
	}
	return strings.TrimPrefix(s, ".")
}
