package workflows

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
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
	writeFile(t, dir, "README.md", "Run `dagger call deploy\n--env staging` or `dagger call ... apply [--approve]`; `dagger call verify` checks.\n\n"+
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
		"README.md:1 verify (partial)",
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

// Every documented `go run ./cmd/<cli> ...` names subcommands and flags its CLI's help lists. The CLIs
// are linked once by `go run` (cached in the Go build cache: seconds after the first run).
func TestDocumentedCommandsMatchTheCLIsHelp(t *testing.T) {
	cmds, err := DocCommands(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	if len(cmds) < 30 {
		t.Fatalf("only %d go run ./cmd/... commands found in the docs: the extraction is broken", len(cmds))
	}
	clis := map[string]bool{}
	for _, c := range cmds {
		clis[c.CLI] = true
	}
	// `go run` keeps the executables it links in the Go build cache; -exec copies each one out, so a
	// warm run only checks staleness once per CLI.
	bin := t.TempDir()
	for cli := range clis {
		if _, err := os.Stat(filepath.Join(repoRoot, "cmd", cli)); err != nil {
			t.Errorf("the docs run ./cmd/%s, which does not exist", cli)
			delete(clis, cli)
			continue
		}
		build := exec.Command("go", "run", "-exec", "cp -t "+bin, "./cmd/"+cli)
		build.Dir = repoRoot
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("build ./cmd/%s: %v\n%s", cli, err, out)
		}
	}
	help := map[string]string{}
	for _, c := range cmds {
		if !clis[c.CLI] {
			continue
		}
		key := c.CLI + " " + strings.Join(c.Subcommands(), " ")
		if _, ok := help[key]; !ok {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			cmd := exec.CommandContext(ctx, filepath.Join(bin, c.CLI), append(c.Subcommands(), "-h")...)
			cmd.Dir = t.TempDir()
			out, _ := cmd.CombinedOutput() // -h exits 0 or 2 depending on the CLI: the text is what counts
			cancel()
			help[key] = string(out)
		}
		for _, f := range CheckDocCommand(c, help[key]) {
			t.Errorf("%s", f)
		}
	}
}

func TestCheckDocCommand(t *testing.T) {
	help := "usage: stacks apply --env ENV [--root DIR]\n\nflags:\n  -approve\n    \tconfirm\n  -env string\n"
	c := DocCommand{File: "x.md", Line: 3, CLI: "stacks", Args: []string{"apply", "--env", "<env>", "--approve", "--bogus=1", "--", "dagger", "call", "--x"}}
	fs := CheckDocCommand(c, help)
	if len(fs) != 1 || !strings.Contains(fs[0].Message, "stacks apply has no flag --bogus") {
		t.Errorf("findings %v", fs)
	}
	fs = CheckDocCommand(DocCommand{File: "x.md", Line: 4, CLI: "stacks", Args: []string{"aply"}}, "stacks: unknown command \"aply\"\nusage: ...")
	if len(fs) != 1 || !strings.Contains(fs[0].Message, `unknown command "aply"`) {
		t.Errorf("findings %v", fs)
	}
}
