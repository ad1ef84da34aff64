package workflows

import (
	"fmt"
	"sort"
	"strings"
)

// Contexts are the values a job's ${{ }} expressions read: github.*, matrix.*, vars.*, steps.*.
type Contexts struct {
	GitHub map[string]string // sha, ref, base_ref, repository, event_name, event.pull_request.number, token
	Matrix map[string]string
	Vars   map[string]string // the variables of the job's GitHub environment (and the repository's)
	// VarsOf names where Vars come from, for messages ("the GitHub environment staging").
	VarsOf string
}

// ExpandExpressions replaces every ${{ path }} in s by its value. Only context paths are expanded
// (github.sha, matrix.env, vars.NAME ...): an operator or function call, or a path without a value, is
// an error naming it, so a workflow that needs something the checks do not model fails loudly.
func ExpandExpressions(s string, c Contexts) (string, error) {
	var b strings.Builder
	for {
		i := strings.Index(s, "${{")
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		j := strings.Index(s[i:], "}}")
		if j < 0 {
			return "", fmt.Errorf("unterminated expression in %q", s)
		}
		b.WriteString(s[:i])
		expr := strings.TrimSpace(s[i+3 : i+j])
		v, err := c.lookup(expr)
		if err != nil {
			return "", err
		}
		b.WriteString(v)
		s = s[i+j+2:]
	}
}

func (c Contexts) lookup(expr string) (string, error) {
	for _, r := range expr {
		if !(r == '.' || r == '_' || r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return "", fmt.Errorf("expression ${{ %s }} is not a plain context path: the workflow checks expand only those", expr)
		}
	}
	head, rest, _ := strings.Cut(expr, ".")
	var m map[string]string
	where := head
	switch head {
	case "github":
		m = c.GitHub
		where = "the declared event"
	case "matrix":
		m = c.Matrix
		where = "the job's matrix"
	case "vars":
		m = c.Vars
		where = c.VarsOf
	default:
		return "", fmt.Errorf("expression ${{ %s }}: the %s context is not modelled by the workflow checks", expr, head)
	}
	v, ok := m[rest]
	if !ok {
		return "", fmt.Errorf("${{ %s }} has no value in %s", expr, where)
	}
	return v, nil
}

// ShellCommands splits a shell script into simple commands (at newlines, ;, &&, || and |) and each into
// words, expanding $NAME, ${NAME}, ${NAME:-word} and ${NAME:+word} from env. Quotes and backslashes
// are honoured; $(...) is kept as one opaque word part. It returns the names of variables that were
// read but are not in env (they expand to nothing, as in the shell).
func ShellCommands(script string, env map[string]string) (cmds [][]string, unset []string, err error) {
	p := &shellParser{src: script, env: env, unset: map[string]bool{}}
	cmds, err = p.parse()
	for n := range p.unset {
		unset = append(unset, n)
	}
	sort.Strings(unset)
	return cmds, unset, err
}

type shellParser struct {
	src   string
	i     int
	env   map[string]string
	unset map[string]bool
}

func (p *shellParser) parse() ([][]string, error) {
	var cmds [][]string
	var words []string
	var cur strings.Builder
	inWord := false
	endWord := func() {
		if inWord {
			words = append(words, cur.String())
		}
		cur.Reset()
		inWord = false
	}
	endCmd := func() {
		endWord()
		if len(words) > 0 {
			cmds = append(cmds, words)
		}
		words = nil
	}
	for p.i < len(p.src) {
		ch := p.src[p.i]
		switch {
		case ch == '\\' && p.i+1 < len(p.src) && p.src[p.i+1] == '\n':
			p.i += 2
		case ch == '\\' && p.i+1 < len(p.src):
			cur.WriteByte(p.src[p.i+1])
			inWord = true
			p.i += 2
		case ch == ' ' || ch == '\t':
			endWord()
			p.i++
		case ch == '\n' || ch == ';':
			endCmd()
			p.i++
		case ch == '&' || ch == '|':
			endCmd()
			p.i++
			if p.i < len(p.src) && p.src[p.i] == ch {
				p.i++
			}
		case ch == '#' && !inWord:
			for p.i < len(p.src) && p.src[p.i] != '\n' {
				p.i++
			}
		case ch == '\'':
			end := strings.IndexByte(p.src[p.i+1:], '\'')
			if end < 0 {
				return nil, fmt.Errorf("unterminated single quote in %q", p.src)
			}
			cur.WriteString(p.src[p.i+1 : p.i+1+end])
			inWord = true
			p.i += end + 2
		case ch == '"':
			p.i++
			inWord = true
			for {
				if p.i >= len(p.src) {
					return nil, fmt.Errorf("unterminated double quote in %q", p.src)
				}
				c := p.src[p.i]
				if c == '"' {
					p.i++
					break
				}
				if c == '\\' && p.i+1 < len(p.src) && strings.IndexByte("\"\\$`", p.src[p.i+1]) >= 0 {
					cur.WriteByte(p.src[p.i+1])
					p.i += 2
					continue
				}
				if c == '$' {
					v, _, err := p.dollar()
					if err != nil {
						return nil, err
					}
					cur.WriteString(v)
					continue
				}
				cur.WriteByte(c)
				p.i++
			}
		case ch == '$':
			v, split, err := p.dollar()
			if err != nil {
				return nil, err
			}
			if split != nil { // ${NAME:+word} unquoted: the word's own words
				for k, w := range split {
					if k > 0 {
						endWord()
					}
					cur.WriteString(w)
					inWord = true
				}
				continue
			}
			if v != "" {
				cur.WriteString(v)
				inWord = true
			}
		default:
			cur.WriteByte(ch)
			inWord = true
			p.i++
		}
	}
	endCmd()
	return cmds, nil
}

// dollar expands the $ expression at p.i. For ${NAME:+word} and ${NAME:-word} it also returns the
// words of the chosen word, for unquoted use.
func (p *shellParser) dollar() (string, []string, error) {
	s := p.src[p.i:]
	switch {
	case strings.HasPrefix(s, "$("):
		depth := 0
		for k := 1; k < len(s); k++ {
			switch s[k] {
			case '(':
				depth++
			case ')':
				depth--
				if depth == 0 {
					p.i += k + 1
					return s[:k+1], nil, nil
				}
			}
		}
		return "", nil, fmt.Errorf("unterminated $( in %q", p.src)
	case strings.HasPrefix(s, "${"):
		end := matchingBrace(s)
		if end < 0 {
			return "", nil, fmt.Errorf("unterminated ${ in %q", p.src)
		}
		body := s[2:end]
		p.i += end + 1
		name, op, word := body, "", ""
		for _, o := range []string{":+", ":-"} {
			if k := strings.Index(body, o); k > 0 {
				name, op, word = body[:k], o, body[k+2:]
				break
			}
		}
		v, ok := p.env[name]
		if op == "" {
			if !ok {
				p.unset[name] = true
			}
			return v, nil, nil
		}
		if (op == ":+") == (v != "") {
			sub := &shellParser{src: word, env: p.env, unset: p.unset}
			cmds, err := sub.parse()
			if err != nil {
				return "", nil, err
			}
			var words []string
			for _, c := range cmds {
				words = append(words, c...)
			}
			return strings.Join(words, " "), words, nil
		}
		if op == ":+" {
			return "", []string{}, nil
		}
		return v, nil, nil
	}
	k := 1
	for k < len(s) && (s[k] == '_' || s[k] >= 'a' && s[k] <= 'z' || s[k] >= 'A' && s[k] <= 'Z' || s[k] >= '0' && s[k] <= '9') {
		k++
	}
	if k == 1 {
		p.i++
		return "$", nil, nil
	}
	name := s[1:k]
	p.i += k
	v, ok := p.env[name]
	if !ok {
		p.unset[name] = true
	}
	return v, nil, nil
}

func matchingBrace(s string) int {
	depth := 0
	for k := 1; k < len(s); k++ {
		switch s[k] {
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return k
			}
		}
	}
	return -1
}
