package iameval

import "strings"

// globMatch matches s against a pattern where * is any run of characters and ? is one character.
func globMatch(pattern, s string) bool {
	// Iterative wildcard matching with backtracking to the last star.
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// actionMatch matches an action (service:Operation) case-insensitively.
func actionMatch(pattern, action string) bool {
	return globMatch(strings.ToLower(pattern), strings.ToLower(action))
}

// arnMatch matches an ARN against an ARN pattern the way the Resource element and ArnLike do: each of
// the six colon-separated components separately (the last one is the rest, colons included), each
// with * and ?. A pattern that is not an ARN (only "*" in practice) is matched as a whole.
func arnMatch(pattern, arn string) bool {
	if pattern == "*" {
		return true
	}
	pp := strings.SplitN(pattern, ":", 6)
	ap := strings.SplitN(arn, ":", 6)
	if len(pp) != 6 || len(ap) != 6 {
		return globMatch(pattern, arn)
	}
	for i := range pp {
		if !globMatch(pp[i], ap[i]) {
			return false
		}
	}
	return true
}

// substitute replaces policy variables ${key} with the request's single value of key. ok is false when
// a variable has no value (the element then matches nothing, as in AWS). ${*}, ${?} and ${$} are the
// escapes for the literal characters.
func substitute(s string, ctx Context) (string, bool) {
	if !strings.Contains(s, "${") {
		return s, true
	}
	var b strings.Builder
	for {
		start := strings.Index(s, "${")
		if start < 0 {
			b.WriteString(s)
			return b.String(), true
		}
		end := strings.Index(s[start:], "}")
		if end < 0 {
			b.WriteString(s)
			return b.String(), true
		}
		b.WriteString(s[:start])
		name := s[start+2 : start+end]
		switch name {
		case "*", "?", "$":
			b.WriteString(name)
		default:
			// ${key, 'default'} form.
			key, def, hasDefault := strings.Cut(name, ",")
			values := ctx.Values(strings.TrimSpace(key))
			switch {
			case len(values) == 1:
				b.WriteString(values[0])
			case hasDefault:
				b.WriteString(strings.Trim(strings.TrimSpace(def), "'"))
			default:
				return "", false
			}
		}
		s = s[start+end+1:]
	}
}
