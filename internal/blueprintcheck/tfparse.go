package blueprintcheck

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// Problem is one violation, located in the tree.
type Problem struct {
	File    string
	Line    int
	Message string
}

func (p Problem) String() string { return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Message) }

// Dir is the parsed .tf files of one Terraform directory (module or stack).
type Dir struct {
	Path  string
	Files map[string]*hclsyntax.Body
}

// ParseTree parses every directory holding .tf files under root/sub... (skipping hidden directories).
func ParseTree(root string, subs ...string) ([]*Dir, error) {
	byDir := map[string]*Dir{}
	for _, sub := range subs {
		base := filepath.Join(root, sub)
		if !isDir(base) {
			continue
		}
		err := filepath.WalkDir(base, func(p string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && strings.HasPrefix(d.Name(), ".") && p != base {
				return filepath.SkipDir
			}
			if d.IsDir() || !strings.HasSuffix(p, ".tf") {
				return nil
			}
			rel, _ := filepath.Rel(root, p)
			rel = filepath.ToSlash(rel)
			src, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			f, diags := hclsyntax.ParseConfig(src, rel, hcl.InitialPos)
			if diags.HasErrors() {
				return fmt.Errorf("parse %s: %s", rel, diags.Error())
			}
			dir := filepath.ToSlash(filepath.Dir(rel))
			if byDir[dir] == nil {
				byDir[dir] = &Dir{Path: dir, Files: map[string]*hclsyntax.Body{}}
			}
			byDir[dir].Files[rel] = f.Body.(*hclsyntax.Body)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	out := make([]*Dir, 0, len(byDir))
	for _, d := range byDir {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// Blocks returns the top-level blocks of the given type ("resource", "data") and first label, in file order.
func (d *Dir) Blocks(typ, label string) []*hclsyntax.Block {
	var names []string
	for n := range d.Files {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []*hclsyntax.Block
	for _, n := range names {
		for _, b := range d.Files[n].Blocks {
			if b.Type == typ && (label == "" || (len(b.Labels) > 0 && b.Labels[0] == label)) {
				out = append(out, b)
			}
		}
	}
	return out
}

// staticValue evaluates an expression without variables; ok is false when it needs any.
func staticValue(e hcl.Expression) (cty.Value, bool) {
	if len(e.Variables()) > 0 {
		return cty.NilVal, false
	}
	v, diags := e.Value(nil)
	if diags.HasErrors() || !v.IsWhollyKnown() {
		return cty.NilVal, false
	}
	return v, true
}

// stringsOf returns the static string elements of a list/tuple/string expression; dynamic elements are
// reported as "<dynamic>" so callers can treat them as "not a literal wildcard".
func stringsOf(e hcl.Expression) []string {
	if v, ok := staticValue(e); ok {
		return ctyStrings(v)
	}
	if tup, ok := e.(*hclsyntax.TupleConsExpr); ok {
		var out []string
		for _, ex := range tup.Exprs {
			out = append(out, stringsOf(ex)...)
		}
		return out
	}
	return []string{"<dynamic>"}
}

func ctyStrings(v cty.Value) []string {
	if v.IsNull() {
		return nil
	}
	t := v.Type()
	switch {
	case t == cty.String:
		return []string{v.AsString()}
	case t.IsListType() || t.IsTupleType() || t.IsSetType():
		var out []string
		for it := v.ElementIterator(); it.Next(); {
			_, ev := it.Element()
			out = append(out, ctyStrings(ev)...)
		}
		return out
	}
	return []string{"<" + t.FriendlyName() + ">"}
}

// refersTo reports whether the expression references <typ>.<name> (e.g. aws_s3_bucket.this).
func refersTo(e hcl.Expression, typ, name string) bool {
	for _, tr := range e.Variables() {
		if tr.RootName() != typ || len(tr) < 2 {
			continue
		}
		if a, ok := tr[1].(hcl.TraverseAttr); ok && a.Name == name {
			return true
		}
	}
	return false
}

func line(r hcl.Range) int { return r.Start.Line }
