package blueprintcheck

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestLayoutDocIsTrue: every repository path docs/layout.md names exists, so the "where everything
// lives" table cannot drift from the tree.
func TestLayoutDocIsTrue(t *testing.T) {
	r := root(t)
	doc, err := os.ReadFile(filepath.Join(r, "docs", "layout.md"))
	if err != nil {
		t.Fatal(err)
	}
	pathRE := regexp.MustCompile("`([.A-Za-z0-9_*/-]+/[.A-Za-z0-9_*/-]*)`")
	checked := 0
	for _, m := range pathRE.FindAllStringSubmatch(string(doc), -1) {
		p := m[1]
		if strings.Contains(p, "<") || strings.HasPrefix(p, "/") || strings.Contains(p, "://") || strings.HasSuffix(p, ".tfstate") {
			continue
		}
		// Stack ids in the order listing are paths under stacks/.
		if !strings.Contains(p, ".") && !strings.HasSuffix(p, "/") && isDir(filepath.Join(r, "stacks", p)) {
			checked++
			continue
		}
		matches, _ := filepath.Glob(filepath.Join(r, strings.TrimSuffix(p, "/")))
		if len(matches) == 0 {
			t.Errorf("docs/layout.md names %s, which does not exist", p)
		}
		checked++
	}
	if checked < 30 {
		t.Fatalf("only %d paths found in docs/layout.md; the extraction is broken", checked)
	}
}
