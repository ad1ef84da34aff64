package blueprint

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/zclconf/go-cty/cty"
)

// readStackFile reads the optional stack.hcl: `depends_on = ["shared/iam"]`. Unknown attributes are
// syntax findings so a typo is not silently ignored.
func (s *Stack) readStackFile(root string) error {
	rel := s.Dir + "/" + StackFileName
	src, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", rel, err)
	}
	s.StackFile = rel
	file, diags := hclparse.NewParser().ParseHCL(src, rel)
	if diags.HasErrors() {
		s.Syntax = append(s.Syntax, diagFindings(diags, "hcl-syntax", "fix the HCL syntax of stack.hcl")...)
		return nil
	}
	content, diags := file.Body.Content(&hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "depends_on"}}})
	if diags.HasErrors() {
		s.Syntax = append(s.Syntax, diagFindings(diags, "stack-file", "stack.hcl only supports depends_on = [\"<stack id>\", ...]")...)
		return nil
	}
	attr, ok := content.Attributes["depends_on"]
	if !ok {
		return nil
	}
	val, diags := attr.Expr.Value(nil)
	if diags.HasErrors() || !val.CanIterateElements() {
		s.Syntax = append(s.Syntax, findingAt(attr.Range, "stack-file", "depends_on must be a list of stack ids",
			`write depends_on = ["shared/iam"]`))
		return nil
	}
	for it := val.ElementIterator(); it.Next(); {
		_, v := it.Element()
		if v.IsNull() || !v.IsKnown() || v.Type() != cty.String {
			s.Syntax = append(s.Syntax, findingAt(attr.Range, "stack-file", "depends_on entries must be strings", `write depends_on = ["shared/iam"]`))
			continue
		}
		s.DependsOn = append(s.DependsOn, DependsOn{Stack: v.AsString(), File: rel, Line: attr.Range.Start.Line})
	}
	return nil
}
