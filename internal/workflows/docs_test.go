package workflows

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Every `dagger call` in README.md, docs/ and docs/runbooks/ names functions and flags the module has,
// and a complete one gives every required flag.
func TestDocumentedDaggerCallsExist(t *testing.T) {
	r := loadReal(t)
	calls, err := DocCalls(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) < 20 {
		t.Fatalf("only %d dagger calls found in the docs: the extraction is broken", len(calls))
	}
	for _, f := range CheckDocCalls(calls, r.Module) {
		t.Errorf("%s", f)
	}
}

func TestDocCallsExtraction(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "docs/runbooks/README.md", "```sh\nexport DAGGER_AWS=\"--aws-profile p\"\n```\n")
	writeFile(t, dir, "README.md", "Run `dagger call deploy\n--env staging` or `dagger call ... apply [--approve]`.\n\n"+
		"```sh\ndagger call $DAGGER_AWS verify \\\n  --env <env>   # a comment --bogus\n# dagger call nothing\n```\n")
	calls, err := DocCalls(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range calls {
		got = append(got, c.File+":"+itoa(c.Line)+" "+strings.Join(c.Args, " ")+map[bool]string{true: " (partial)", false: ""}[c.Partial])
	}
	want := []string{
		"README.md:1 deploy --env staging",
		"README.md:1 apply --approve (partial)",
		"README.md:5 --aws-profile p verify --env <env>",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("calls\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	m, err := LoadModule(repoRoot+"/"+ModuleDir, ModuleObject)
	if err != nil {
		t.Fatal(err)
	}
	fs := CheckDocCalls(calls, m)
	if len(fs) != 1 || fs[0].Where != "README.md:5" || !strings.Contains(fs[0].Message, "verify needs --artifact") {
		t.Errorf("findings %v", fs)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func writeFile(t *testing.T, dir, rel, content string) {
	t.Helper()
	p := filepath.Join(dir, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
