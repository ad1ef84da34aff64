package workflows

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// DocCall is a `dagger call` written in the documentation.
type DocCall struct {
	File string // relative to the repository root
	Line int
	Text string // as written, after `dagger call`
	Args []string
	// Partial calls elide something (`...`, [optional] parts, <placeholders> for flags) or, inline
	// without any flag, name a function in prose: only the names they use are checked, not that every
	// required flag is given.
	Partial bool
}

// DocFiles are the documents whose commands users follow: README.md, docs/*.md, docs/runbooks/*.md.
func DocFiles(root string) ([]string, error) {
	var files []string
	for _, pattern := range []string{"README.md", "docs/*.md", "docs/runbooks/*.md"} {
		m, err := filepath.Glob(filepath.Join(root, pattern))
		if err != nil {
			return nil, err
		}
		for _, f := range m {
			rel, _ := filepath.Rel(root, f)
			files = append(files, filepath.ToSlash(rel))
		}
	}
	sort.Strings(files)
	return files, nil
}

// doc is one document's text.
type doc struct{ file, text string }

// readDocs reads the documents of DocFiles, in order.
func readDocs(root string) ([]doc, error) {
	files, err := DocFiles(root)
	if err != nil {
		return nil, err
	}
	out := make([]doc, 0, len(files))
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			return nil, err
		}
		out = append(out, doc{f, string(data)})
	}
	return out, nil
}

var (
	inlineCode = regexp.MustCompile("`([^`]*)`")
	exportVar  = regexp.MustCompile(`^export ([A-Z_][A-Z0-9_]*)="([^"]*)"$`)
)

// DocCalls finds the `dagger call` commands of the documents: in fenced code blocks (lines joined at a
// trailing backslash, comments dropped) and in inline code spans (which may wrap). Variables the
// documents export in a code block (export DAGGER_AWS="...") are expanded in every document.
func DocCalls(root string) ([]DocCall, error) {
	docs, err := readDocs(root)
	if err != nil {
		return nil, err
	}
	vars := map[string]string{}
	texts := map[string]string{}
	var files []string
	for _, d := range docs {
		f := d.file
		files = append(files, f)
		texts[f] = d.text
		for _, line := range strings.Split(d.text, "\n") {
			if m := exportVar.FindStringSubmatch(strings.TrimSpace(line)); m != nil {
				vars[m[1]] = m[2]
			}
		}
	}
	var out []DocCall
	for _, f := range files {
		lines := strings.Split(texts[f], "\n")
		inFence := false
		for i := 0; i < len(lines); i++ {
			line := lines[i]
			if strings.HasPrefix(strings.TrimSpace(line), "```") {
				inFence = !inFence
				continue
			}
			if inFence {
				start := i
				for strings.HasSuffix(line, "\\") && i+1 < len(lines) {
					i++
					line = strings.TrimSuffix(line, "\\") + " " + lines[i]
				}
				if c, ok := docCall(f, start+1, stripComment(line), vars); ok {
					out = append(out, c)
				}
				continue
			}
			// Inline code may wrap onto the next line: join the paragraph's next line when a span is open.
			joined, end := line, i
			for strings.Count(joined, "`")%2 == 1 && end+1 < len(lines) && strings.TrimSpace(lines[end+1]) != "" {
				end++
				joined += " " + lines[end]
			}
			for _, m := range inlineCode.FindAllStringSubmatch(joined, -1) {
				for _, part := range strings.Split(m[1], "dagger call")[1:] {
					if c, ok := docCall(f, i+1, "dagger call"+part, vars); ok {
						// Inline `dagger call <function>` without flags names the function in prose.
						c.Partial = c.Partial || !hasFlag(c.Args)
						out = append(out, c)
					}
				}
			}
			i = end
		}
	}
	return out, nil
}

func hasFlag(args []string) bool {
	for _, a := range args {
		if strings.HasPrefix(a, "-") {
			return true
		}
	}
	return false
}

// stripComment drops a shell comment (a # that starts a word).
func stripComment(line string) string {
	for i := 0; i < len(line); i++ {
		if line[i] == '#' && (i == 0 || line[i-1] == ' ' || line[i-1] == '\t') {
			return line[:i]
		}
	}
	return line
}

func docCall(file string, line int, text string, vars map[string]string) (DocCall, bool) {
	k := strings.Index(text, "dagger call")
	if k < 0 {
		return DocCall{}, false
	}
	rest := text[k+len("dagger call"):]
	if end := strings.IndexByte(rest, '`'); end >= 0 {
		rest = rest[:end] // a call quoted inside a block's text (an error message naming the command)
	}
	rest = strings.TrimSpace(rest)
	c := DocCall{File: file, Line: line, Text: rest}
	for _, w := range strings.Fields(rest) {
		if v, ok := vars[strings.TrimPrefix(w, "$")]; ok && strings.HasPrefix(w, "$") {
			c.Args = append(c.Args, strings.Fields(v)...)
			continue
		}
		switch {
		case w == "..." || w == "…" || strings.HasPrefix(w, "<") && !strings.Contains(w, ">"):
			c.Partial = true // an elision, or a <placeholder with spaces> standing for flags
			continue
		case strings.HasPrefix(w, "[") || strings.HasSuffix(w, "]"):
			c.Partial = true
			w = strings.Trim(w, "[]")
		}
		if strings.HasSuffix(w, ">") && !strings.Contains(w, "<") {
			continue // the end of a <placeholder with spaces>
		}
		if strings.HasPrefix(w, "<") && (len(c.Args) == 0 || !strings.HasPrefix(c.Args[len(c.Args)-1], "-")) {
			c.Partial = true // a <placeholder> where a function goes: check what comes before it
			break
		}
		if w == "--help" || w == "-h" {
			c.Partial = true // help needs no required flag
			continue
		}
		if w == "" || w == "|" || w == "&&" || w == ";" {
			break
		}
		c.Args = append(c.Args, w)
	}
	return c, len(c.Args) > 0
}

// CheckDocCalls parses every documented `dagger call` against the module.
func CheckDocCalls(calls []DocCall, m *Module) []Finding {
	var out []Finding
	for _, c := range calls {
		parse := m.ParseCall
		if c.Partial {
			parse = m.ParsePartialCall
		}
		if _, err := parse(c.Args); err != nil {
			out = append(out, Finding{Where: fmt.Sprintf("%s:%d", c.File, c.Line), Message: fmt.Sprintf("dagger call %s: %v", c.Text, err)})
		}
	}
	return out
}

// DocCommand is a documented `go run ./cmd/<cli> ...` command.
type DocCommand struct {
	File string
	Line int
	CLI  string   // the directory under cmd/
	Args []string // the words after the program, up to the end of the command
}

var goRunCmd = regexp.MustCompile(`go run \./cmd/([a-z0-9-]+)((?: +[^ |;&#` + "`" + `]+)*)`)

// DocCommands finds the `go run ./cmd/<cli>` commands of the documents, in fenced code blocks and
// inline code spans, with their words up to a shell operator or comment.
func DocCommands(root string) ([]DocCommand, error) {
	docs, err := readDocs(root)
	if err != nil {
		return nil, err
	}
	var out []DocCommand
	for _, d := range docs {
		f := d.file
		lines := strings.Split(d.text, "\n")
		inFence := false
		for i := 0; i < len(lines); i++ {
			line := lines[i]
			if strings.HasPrefix(strings.TrimSpace(line), "```") {
				inFence = !inFence
				continue
			}
			var texts []string
			if inFence {
				for strings.HasSuffix(line, "\\") && i+1 < len(lines) {
					i++
					line = strings.TrimSuffix(line, "\\") + " " + lines[i]
				}
				texts = []string{stripComment(line)}
			} else {
				for _, m := range inlineCode.FindAllStringSubmatch(line, -1) {
					texts = append(texts, m[1])
				}
			}
			for _, t := range texts {
				for _, m := range goRunCmd.FindAllStringSubmatch(t, -1) {
					args := strings.Fields(m[2])
					if len(args) > 0 && strings.HasPrefix(args[0], "<") {
						continue // a synopsis (`release <command> ...`), not a command
					}
					out = append(out, DocCommand{File: f, Line: i + 1, CLI: m[1], Args: args})
				}
			}
		}
	}
	return out, nil
}

// Subcommands are the command's leading words (before the first flag, placeholder or `--`).
func (c DocCommand) Subcommands() []string {
	var out []string
	for _, a := range c.Args {
		if strings.HasPrefix(a, "-") || strings.ContainsAny(a, "<>[]$\"'./=…") {
			break
		}
		out = append(out, a)
	}
	return out
}

// Flags are the flag names the command uses (without dashes or values), up to a `--` that hands the
// rest to another program.
func (c DocCommand) Flags() []string {
	var out []string
	for _, a := range c.Args {
		if a == "--" {
			break
		}
		a = strings.Trim(a, "[]")
		if strings.HasPrefix(a, "-") && len(a) > 1 && a != "-" {
			name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
			if name != "" {
				out = append(out, name)
			}
		}
	}
	return out
}

// CheckDocCommand compares a documented command with its CLI's help output (the output of
// `<cli> <subcommands> -h`): the subcommands must be known and every flag must be listed.
func CheckDocCommand(c DocCommand, help string) []Finding {
	where := fmt.Sprintf("%s:%d", c.File, c.Line)
	var out []Finding
	cmd := "go run ./cmd/" + c.CLI + " " + strings.Join(c.Args, " ")
	if strings.Contains(help, "unknown command") {
		return []Finding{{Where: where, Message: fmt.Sprintf("%s: %s", cmd, firstLine(help))}}
	}
	for _, s := range c.Subcommands() {
		if !regexp.MustCompile(`(^|[\s"])` + regexp.QuoteMeta(s) + `($|[\s":])`).MatchString(help) {
			out = append(out, Finding{Where: where, Message: fmt.Sprintf("%s: the help of %s does not know %q", cmd, c.CLI, s)})
		}
	}
	for _, f := range c.Flags() {
		if !regexp.MustCompile(`(^|[\s\[])--?` + regexp.QuoteMeta(f) + `($|[\s=\]])`).MatchString(help) {
			out = append(out, Finding{Where: where, Message: fmt.Sprintf("%s: %s %s has no flag --%s", cmd, c.CLI, strings.Join(c.Subcommands(), " "), f)})
		}
	}
	return out
}
