package workflows

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

var (
	ansiEscape   = regexp.MustCompile(`\x1b\[[0-9;]*[A-Za-z]`)
	helpFlag     = regexp.MustCompile(`^\s+(?:-[A-Za-z], )?--([a-z0-9-]+)(?:\s|$)`)
	helpFunction = regexp.MustCompile(`^\s+([a-z0-9-]+)(?:\s{2,}|$)`)
)

// DaggerHelp is what `dagger call [function] --help` lists: the arguments (flag → required) and, for
// an object, its functions.
type DaggerHelp struct {
	Arguments map[string]bool
	Functions []string
}

// ParseDaggerHelp reads the ARGUMENTS and FUNCTIONS sections of `dagger call ... --help`.
func ParseDaggerHelp(text string) DaggerHelp {
	h := DaggerHelp{Arguments: map[string]bool{}}
	section, current := "", ""
	for _, line := range strings.Split(ansiEscape.ReplaceAllString(text, ""), "\n") {
		if t := strings.TrimSpace(line); t != "" && t == strings.ToUpper(t) && !strings.HasPrefix(line, " ") {
			section, current = t, ""
			continue
		}
		switch section {
		case "ARGUMENTS":
			if m := helpFlag.FindStringSubmatch(line); m != nil {
				current = m[1]
				h.Arguments[current] = false
			}
			if current != "" && strings.Contains(line, "[required]") {
				h.Arguments[current] = true
			}
		case "FUNCTIONS":
			if m := helpFunction.FindStringSubmatch(line); m != nil && strings.HasPrefix(line, "  ") && !strings.HasPrefix(line, "        ") {
				h.Functions = append(h.Functions, m[1])
			}
		}
	}
	sort.Strings(h.Functions)
	return h
}

// CompareHelp lists where a function of the module read from source differs from the CLI's help.
func CompareHelp(fn Function, h DaggerHelp) []string {
	var out []string
	for _, name := range sortedKeys(fn.Flags) {
		req, ok := h.Arguments[name]
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("--%s is read from the source but not in dagger call --help", name))
		case req != fn.Flags[name].Required:
			out = append(out, fmt.Sprintf("--%s: required %v from the source, %v in dagger call --help", name, fn.Flags[name].Required, req))
		}
	}
	for _, name := range sortedKeys(h.Arguments) {
		if _, ok := fn.Flags[name]; !ok {
			out = append(out, fmt.Sprintf("--%s is in dagger call --help but not read from the source", name))
		}
	}
	return out
}
