package blueprintcheck

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// TestModuleReadmeExamplesCallTheModule: each module README's example is valid HCL, calls that module,
// passes every required variable and nothing the module does not declare. Copy-pasting an example
// must work.
func TestModuleReadmeExamplesCallTheModule(t *testing.T) {
	bp := loadBlueprint(t)
	fence := regexp.MustCompile("(?s)```hcl\n(.*?)```")
	names := make([]string, 0, len(bp.Modules))
	for n := range bp.Modules {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		m := bp.Modules[name]
		t.Run(name, func(t *testing.T) {
			readme := filepath.Join(root(t), "modules", name, "README.md")
			src, err := os.ReadFile(readme)
			if err != nil {
				t.Fatal(err)
			}
			blocks := fence.FindAllStringSubmatch(string(src), -1)
			if len(blocks) == 0 {
				t.Fatalf("%s has no ```hcl example", readme)
			}
			calls := 0
			for _, b := range blocks {
				f, diags := hclsyntax.ParseConfig([]byte(b[1]), readme, hcl.InitialPos)
				if diags.HasErrors() {
					t.Fatalf("example does not parse: %s", diags.Error())
				}
				for _, blk := range f.Body.(*hclsyntax.Body).Blocks {
					if blk.Type != "module" {
						continue
					}
					srcAttr, ok := blk.Body.Attributes["source"]
					if !ok {
						t.Fatalf("module %q in the example has no source", blk.Labels[0])
					}
					v, _ := srcAttr.Expr.Value(nil)
					if !strings.HasSuffix(v.AsString(), "modules/"+name) {
						continue
					}
					calls++
					for vn, decl := range m.Variables {
						if _, passed := blk.Body.Attributes[vn]; decl.Required() && !passed {
							t.Errorf("example does not pass required variable %q", vn)
						}
					}
					for an := range blk.Body.Attributes {
						if _, ok := m.Variables[an]; !ok && !metaArguments[an] && an != "source" {
							t.Errorf("example passes %q, which the module does not declare", an)
						}
					}
				}
			}
			if calls == 0 {
				t.Fatalf("no example calls modules/%s", name)
			}
		})
	}
}
