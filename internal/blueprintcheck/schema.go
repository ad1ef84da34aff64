package blueprintcheck

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// ProviderSchema is the configuration schema of the resource and data source types the blueprint uses,
// extracted from the prebuilt CDKTF provider packages by providerschema/extract.js. It lets the tests
// catch a misspelt argument, a block written as an attribute, or a reference to an attribute a
// resource does not have — what `terraform validate` would report — without any provider binary.
type ProviderSchema struct {
	ProviderPackages []string                      `json:"provider_packages"`
	Resource         map[string]TypeSchema         `json:"resource"`
	Data             map[string]TypeSchema         `json:"data"`
	Structs          map[string]map[string]*string `json:"structs"`
	// StructRequired lists the required arguments of nested blocks by struct id.
	StructRequired map[string][]string `json:"struct_required"`
}

// TypeSchema lists a type's arguments and every attribute that can be read from it. An argument maps
// to nil (plain attribute), "block:<struct id>" (nested block) or "object:<struct id>" (object-typed
// attribute written as name = { ... }).
type TypeSchema struct {
	Arguments  map[string]*string `json:"arguments"`
	Attributes []string           `json:"attributes"`
	Required   []string           `json:"required"`
}

// LoadProviderSchema reads a schema written by extract.js.
func LoadProviderSchema(path string) (*ProviderSchema, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var s ProviderSchema
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &s, nil
}

var metaArguments = map[string]bool{
	"count": true, "for_each": true, "depends_on": true, "provider": true,
	"lifecycle": true, "provisioner": true, "connection": true,
}

// Types whose schema is not in the provider packages (terraform's built-ins).
var builtinTypes = map[string]bool{"terraform_remote_state": true, "terraform_data": true}

// CheckProviderSchema checks every resource and data block against the schema: known type, known
// arguments, nested blocks written as blocks (dynamic blocks included), and references
// <type>.<name>.<attribute> / data.<type>.<name>.<attribute> naming an attribute the type has.
func CheckProviderSchema(dirs []*Dir, s *ProviderSchema) []Problem {
	var out []Problem
	add := func(r hcl.Range, msg string) {
		out = append(out, Problem{File: r.Filename, Line: r.Start.Line, Message: msg})
	}
	var checkBody func(where string, body *hclsyntax.Body, args map[string]*string, required []string)
	checkBody = func(where string, body *hclsyntax.Body, args map[string]*string, required []string) {
		for _, r := range required {
			if _, ok := body.Attributes[r]; ok {
				continue
			}
			found := false
			for _, b := range body.Blocks {
				found = found || b.Type == r || (b.Type == "dynamic" && len(b.Labels) == 1 && b.Labels[0] == r)
			}
			if !found {
				add(body.SrcRange, fmt.Sprintf("%s: missing required argument %q", where, r))
			}
		}
		for _, n := range sortedAttrs(body) {
			a := body.Attributes[n]
			if metaArguments[n] {
				continue
			}
			ref, ok := args[n]
			switch {
			case !ok:
				add(a.SrcRange, fmt.Sprintf("%s: unsupported argument %q", where, n))
			case ref != nil && strings.HasPrefix(*ref, "block:"):
				add(a.SrcRange, fmt.Sprintf("%s: %q is a block: write %s { ... }", where, n, n))
			}
		}
		for _, b := range body.Blocks {
			if metaArguments[b.Type] {
				continue
			}
			name, inner := b.Type, b.Body
			if b.Type == "dynamic" && len(b.Labels) == 1 {
				name, inner = b.Labels[0], nil
				for _, c := range b.Body.Blocks {
					if c.Type == "content" {
						inner = c.Body
					}
				}
			}
			ref, ok := args[name]
			switch {
			case !ok:
				add(b.DefRange(), fmt.Sprintf("%s: unsupported block %q", where, name))
			case ref == nil || !strings.HasPrefix(*ref, "block:"):
				add(b.DefRange(), fmt.Sprintf("%s: %q is an attribute: write %s = ...", where, name, name))
			case inner != nil:
				id := strings.TrimPrefix(*ref, "block:")
				checkBody(where+"."+name, inner, s.Structs[id], s.StructRequired[id])
			}
		}
	}
	for _, d := range dirs {
		for _, file := range sortedFiles(d) {
			body := d.Files[file]
			for _, b := range body.Blocks {
				if (b.Type != "resource" && b.Type != "data") || len(b.Labels) != 2 || builtinTypes[b.Labels[0]] {
					continue
				}
				types := s.Resource
				if b.Type == "data" {
					types = s.Data
				}
				ts, ok := types[b.Labels[0]]
				if !ok {
					add(b.DefRange(), fmt.Sprintf("%s type %q is not in the provider schema (a typo, or regenerate testdata/provider-schema.json with providerschema/extract.js)", b.Type, b.Labels[0]))
					continue
				}
				checkBody(b.Labels[0], b.Body, ts.Arguments, ts.Required)
			}
			out = append(out, checkReferences(body, s)...)
		}
	}
	return out
}

func checkReferences(body *hclsyntax.Body, s *ProviderSchema) []Problem {
	var out []Problem
	seen := map[string]bool{}
	hclsyntax.VisitAll(body, func(n hclsyntax.Node) hcl.Diagnostics {
		e, ok := n.(hclsyntax.Expression)
		if !ok {
			return nil
		}
		for _, tr := range e.Variables() {
			steps := tr[1:]
			types, typ := s.Resource, tr.RootName()
			if typ == "data" {
				if len(steps) == 0 {
					continue
				}
				a, ok := steps[0].(hcl.TraverseAttr)
				if !ok {
					continue
				}
				types, typ, steps = s.Data, a.Name, steps[1:]
			}
			ts, known := types[typ]
			if !known || len(steps) < 2 {
				continue
			}
			steps = steps[1:] // the block's name
			if _, idx := steps[0].(hcl.TraverseIndex); idx {
				steps = steps[1:]
			}
			if len(steps) == 0 {
				continue
			}
			a, ok := steps[0].(hcl.TraverseAttr)
			if !ok || contains(ts.Attributes, a.Name) {
				continue
			}
			r := tr.SourceRange()
			key := fmt.Sprintf("%s:%d:%s", r.Filename, r.Start.Line, a.Name)
			if !seen[key] {
				seen[key] = true
				out = append(out, Problem{File: r.Filename, Line: r.Start.Line, Message: fmt.Sprintf("%s has no attribute %q", typ, a.Name)})
			}
		}
		return nil
	})
	return out
}

func contains(list []string, s string) bool {
	i := sort.SearchStrings(list, s)
	return i < len(list) && list[i] == s
}

func sortedAttrs(b *hclsyntax.Body) []string {
	names := make([]string, 0, len(b.Attributes))
	for n := range b.Attributes {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func sortedFiles(d *Dir) []string {
	names := make([]string, 0, len(d.Files))
	for n := range d.Files {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
