package workflows

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// A DocBlock is a fenced code block of the documentation (README.md, docs/*.md, docs/runbooks/*.md).
//
// Every shell block (```sh, ```bash) is a procedure a reader follows, so it carries a marker on the
// line just above its fence that says how it is proven:
//
//	<!-- doc-test: run TestDeployLocal -->           that test runs the block as written (RunnableScript)
//	<!-- doc-test: ci -->                            CI runs it itself (.ci/run)
//	<!-- doc-test: real-account: needs the zone -->  it needs a real AWS account; the reason is required
//
// Every other block names its language (text, json, hcl, go, yaml...), so a command cannot hide in an
// unlabelled fence.
type DocBlock struct {
	File   string // relative to the repository root
	Line   int    // of the opening fence
	Lang   string
	Text   string // the block's lines, as written
	Marker DocMarker
}

// DocMarker is how a shell block is proven.
type DocMarker struct {
	Kind   string // "run", "ci", "real-account"; "" when the block has none
	Test   string // for "run": the test that runs the block
	Reason string // for "real-account"
}

const (
	MarkerRun         = "run"
	MarkerCI          = "ci"
	MarkerRealAccount = "real-account"
)

var markerLine = regexp.MustCompile(`^<!--\s*doc-test:\s*(.*?)\s*-->$`)

// IsShell says whether the block holds commands a reader runs.
func (b DocBlock) IsShell() bool { return b.Lang == "sh" || b.Lang == "bash" || b.Lang == "console" }

func (b DocBlock) Where() string { return fmt.Sprintf("%s:%d", b.File, b.Line) }

// DocBlocks reads every fenced block of the documents, with its marker.
func DocBlocks(root string) ([]DocBlock, error) {
	docs, err := readDocs(root)
	if err != nil {
		return nil, err
	}
	var out []DocBlock
	for _, d := range docs {
		bs, err := parseDocBlocks(d.file, d.text)
		if err != nil {
			return nil, err
		}
		out = append(out, bs...)
	}
	return out, nil
}

func parseDocBlocks(file, text string) ([]DocBlock, error) {
	lines := strings.Split(text, "\n")
	var out []DocBlock
	for i := 0; i < len(lines); i++ {
		open := strings.TrimSpace(lines[i])
		if !strings.HasPrefix(open, "```") {
			continue
		}
		indent := lines[i][:strings.Index(lines[i], "```")]
		b := DocBlock{File: file, Line: i + 1, Lang: strings.TrimSpace(strings.TrimPrefix(open, "```"))}
		if i > 0 {
			m, err := parseMarker(strings.TrimSpace(lines[i-1]))
			if err != nil {
				return nil, fmt.Errorf("%s: %w", b.Where(), err)
			}
			b.Marker = m
		}
		var body []string
		j := i + 1
		for ; j < len(lines) && strings.TrimSpace(lines[j]) != "```"; j++ {
			body = append(body, strings.TrimPrefix(lines[j], indent))
		}
		if j == len(lines) {
			return nil, fmt.Errorf("%s: the code block is never closed", b.Where())
		}
		b.Text = strings.Join(body, "\n")
		out = append(out, b)
		i = j
	}
	return out, nil
}

func parseMarker(line string) (DocMarker, error) {
	m := markerLine.FindStringSubmatch(line)
	if m == nil {
		return DocMarker{}, nil
	}
	kind, rest, _ := strings.Cut(m[1], " ")
	kind = strings.TrimSuffix(kind, ":")
	rest = strings.TrimSpace(rest)
	switch kind {
	case MarkerRun:
		if rest == "" || strings.ContainsAny(rest, " \t") {
			return DocMarker{}, fmt.Errorf("marker %q: `run` names one test function", line)
		}
		return DocMarker{Kind: kind, Test: rest}, nil
	case MarkerCI:
		return DocMarker{Kind: kind}, nil
	case MarkerRealAccount:
		if rest == "" {
			return DocMarker{}, fmt.Errorf("marker %q: say why the block needs a real account", line)
		}
		return DocMarker{Kind: kind, Reason: rest}, nil
	}
	return DocMarker{}, fmt.Errorf("marker %q: the kind is one of run <Test>, ci, real-account: <reason>", line)
}

var testFunc = regexp.MustCompile(`(?m)^func (Test\w+)\(t \*testing\.T\)`)

// TestFunctions lists the Go test functions of the repository (every *_test.go outside hidden,
// cache and vendor directories), for checking that a `run` marker names a test that exists.
func TestFunctions(root string) (map[string]bool, error) {
	names := map[string]bool{}
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); path != root && (strings.HasPrefix(n, ".") || n == "vendor" || n == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range testFunc.FindAllStringSubmatch(string(data), -1) {
			names[m[1]] = true
		}
		return nil
	})
	return names, err
}

// CheckDocBlocks reports unlabelled fences, shell blocks without a marker, markers on non-shell
// blocks, `run` markers naming a test that does not exist, and `ci` markers whose commands CI does not
// run (ciScript: the text of .ci/run and of the script it runs).
func CheckDocBlocks(blocks []DocBlock, tests map[string]bool, ciScript string) []Finding {
	var out []Finding
	for _, b := range blocks {
		switch {
		case b.Lang == "":
			out = append(out, Finding{b.Where(), "the code block names no language: use sh for commands a reader runs (then mark it), text for output"})
		case !b.IsShell() && b.Marker.Kind != "":
			out = append(out, Finding{b.Where(), "a doc-test marker on a " + b.Lang + " block: only shell blocks are run"})
		case !b.IsShell():
		case b.Marker.Kind == "":
			out = append(out, Finding{b.Where(), "a shell block without a doc-test marker: add <!-- doc-test: run TestX --> (a test runs it on the sandbox) or <!-- doc-test: real-account: <why> --> above the fence"})
		case b.Marker.Kind == MarkerRun && !tests[b.Marker.Test]:
			out = append(out, Finding{b.Where(), "the marker names " + b.Marker.Test + ", which is no test function of the repository"})
		case b.Marker.Kind == MarkerCI:
			for _, cmd := range ShellLines(b.Text) {
				if !ranByCI(cmd, ciScript) {
					out = append(out, Finding{b.Where(), fmt.Sprintf("marked as run by CI, but CI (.ci/run, scripts/test.sh) does not run %q", cmd)})
				}
			}
		}
	}
	return out
}

// ShellLines are the commands of a shell block: continuation lines joined, comments and blank lines
// dropped.
func ShellLines(text string) []string {
	var out []string
	lines := strings.Split(text, "\n")
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		for strings.HasSuffix(strings.TrimRight(line, " "), "\\") && i+1 < len(lines) {
			i++
			line = strings.TrimRight(strings.TrimSuffix(strings.TrimRight(line, " "), "\\"), " ") + " " + strings.TrimSpace(lines[i])
		}
		if l := strings.TrimSpace(stripComment(line)); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// BlocksRunBy are the shell blocks of file that test runs, in document order.
func BlocksRunBy(blocks []DocBlock, file, test string) []DocBlock {
	var out []DocBlock
	for _, b := range blocks {
		if b.File == file && b.IsShell() && b.Marker.Kind == MarkerRun && b.Marker.Test == test {
			out = append(out, b)
		}
	}
	return out
}

var placeholder = regexp.MustCompile(`<[a-z][a-z0-9 -]*>`)

// RunnableScript is the block as a bash script: each <placeholder> replaced by its value. A
// placeholder without a value is an error naming it, so a test never runs a command with a hole.
func RunnableScript(b DocBlock, values map[string]string) (string, error) {
	// Comments are for the reader (`# = dagger call <sandbox services> ...`): dropped, so a placeholder
	// in one is no hole in the command.
	lines := strings.Split(b.Text, "\n")
	for i, l := range lines {
		if c := stripComment(l); c != l {
			lines[i] = strings.TrimRight(c, " \t")
		}
	}
	script := placeholder.ReplaceAllStringFunc(strings.Join(lines, "\n"), func(p string) string {
		if v, ok := values[strings.Trim(p, "<>")]; ok {
			return v
		}
		return p
	})
	if left := placeholder.FindAllString(script, -1); len(left) > 0 {
		sort.Strings(left)
		return "", fmt.Errorf("%s: no value for %s", b.Where(), strings.Join(dedupe(left), ", "))
	}
	return script, nil
}

func dedupe(s []string) []string {
	var out []string
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

var goTestTags = regexp.MustCompile(`-tags[ =]('[^']*'|"[^"]*"|\S+)`)

// ranByCI says whether CI runs cmd: written as is in the CI scripts, or a `go test` of some packages
// that a CI `go test ... ./...` with the same build tags covers (and no -run or -bench narrowing it).
func ranByCI(cmd, ciScript string) bool {
	if strings.Contains(ciScript, cmd) {
		return true
	}
	if !strings.HasPrefix(cmd, "go test ") || strings.Contains(cmd, " -run") || strings.Contains(cmd, " -bench") {
		return false
	}
	tags := func(s string) string {
		m := goTestTags.FindStringSubmatch(s)
		if m == nil {
			return ""
		}
		return strings.Trim(m[1], `'"`)
	}
	for _, line := range strings.Split(ciScript, "\n") {
		// The go test command of a line, wherever the script's line has it (`stage "…" go test …`,
		// `unit() { go vet ./... && go test -count=1 ./...; }`), up to its end or a shell separator.
		i := strings.Index(line, "go test ")
		if i < 0 {
			continue
		}
		test := line[i:]
		if j := strings.IndexAny(test, ";&|}"); j >= 0 {
			test = test[:j]
		}
		test = strings.TrimSpace(test)
		if strings.HasSuffix(test, " ./...") && !strings.Contains(test, " -run") && tags(test) == tags(cmd) {
			return true
		}
	}
	return false
}
