package ecsdeploy

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/platformteam/delivery/pkg/release/api"
)

// Diff lists every field that differs between the registration of the live revision and the new one,
// sorted by path. List elements that carry a name (containers, environment variables, secrets,
// volumes) are matched by name, not position, so a reordering is not reported as a change.
func Diff(old, new *ecs.RegisterTaskDefinitionInput) ([]api.ECSChange, error) {
	a, aElems, err := flatten(old)
	if err != nil {
		return nil, err
	}
	b, bElems, err := flatten(new)
	if err != nil {
		return nil, err
	}
	var out []api.ECSChange
	// A named element present on one side only (an added variable, a removed secret) is one change.
	for p, v := range aElems {
		if _, ok := bElems[p]; !ok && !under(p, aElems, bElems) {
			out = append(out, api.ECSChange{Path: p, Old: v})
		}
	}
	for p, w := range bElems {
		if _, ok := aElems[p]; !ok && !under(p, bElems, aElems) {
			out = append(out, api.ECSChange{Path: p, New: w})
		}
	}
	wholeElement := func(p string, own, other map[string]string) bool {
		for e := range own {
			if _, ok := other[e]; !ok && strings.HasPrefix(p, e+".") {
				return true
			}
		}
		return false
	}
	for p, v := range a {
		if w, ok := b[p]; !ok {
			if !wholeElement(p, aElems, bElems) {
				out = append(out, api.ECSChange{Path: p, Old: v})
			}
		} else if w != v {
			out = append(out, api.ECSChange{Path: p, Old: v, New: w})
		}
	}
	for p, w := range b {
		if _, ok := a[p]; !ok && !wholeElement(p, bElems, aElems) {
			out = append(out, api.ECSChange{Path: p, New: w})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// PrintDiff writes one line per change, or a line saying nothing changes.
func PrintDiff(w io.Writer, family string, changes []api.ECSChange) {
	if len(changes) == 0 {
		fmt.Fprintf(w, "task definition %s: no changes\n", family)
		return
	}
	fmt.Fprintf(w, "task definition %s: %d change(s)\n", family, len(changes))
	for _, c := range changes {
		fmt.Fprintf(w, "  %s\n", c)
	}
}

// under reports whether p lies inside another element of own that other lacks (only the outermost
// added or removed element is reported).
func under(p string, own, other map[string]string) bool {
	for e := range own {
		if _, ok := other[e]; !ok && e != p && strings.HasPrefix(p, e+".") {
			return true
		}
	}
	return false
}

// flatten maps every leaf path to its JSON value, and every named list element's path to the element's
// compact JSON (without null fields).
func flatten(in *ecs.RegisterTaskDefinitionInput) (map[string]string, map[string]string, error) {
	raw, err := json.Marshal(in)
	if err != nil {
		return nil, nil, fmt.Errorf("render task definition for diff: %w", err)
	}
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, nil, err
	}
	out, elems := map[string]string{}, map[string]string{}
	walk("", doc, out, elems)
	return out, elems, nil
}

func walk(path string, v any, out, elems map[string]string) {
	switch t := v.(type) {
	case nil:
		return
	case map[string]any:
		for k, child := range t {
			p := lowerFirst(k)
			if path != "" {
				p = path + "." + p
			}
			walk(p, child, out, elems)
		}
	case []any:
		if len(t) == 0 {
			return
		}
		for i, child := range t {
			key := fmt.Sprint(i)
			p := fmt.Sprintf("%s[%s]", path, key)
			if m, ok := child.(map[string]any); ok {
				if n, ok := m["Name"].(string); ok && n != "" {
					p = fmt.Sprintf("%s[%s]", path, n)
					elems[p] = compactJSON(m)
				}
			}
			walk(p, child, out, elems)
		}
	default:
		raw, _ := json.Marshal(t)
		out[path] = string(raw)
	}
}

func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 || strings.ToUpper(s) == s {
		return strings.ToLower(s)
	}
	return string(unicode.ToLower(r)) + s[n:]
}

// compactJSON renders an element without its null, empty and zero fields, with lower-case keys.
func compactJSON(m map[string]any) string {
	keep := map[string]any{}
	for k, v := range m {
		switch t := v.(type) {
		case nil:
			continue
		case string:
			if t == "" {
				continue
			}
		case float64:
			if t == 0 {
				continue
			}
		case []any:
			if len(t) == 0 {
				continue
			}
		}
		keep[lowerFirst(k)] = v
	}
	raw, _ := json.Marshal(keep)
	return string(raw)
}
