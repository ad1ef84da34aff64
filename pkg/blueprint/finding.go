package blueprint

import (
	"fmt"
	"sort"

	"github.com/hashicorp/hcl/v2"
)

// Severity says whether a finding fails the lint.
type Severity string

const (
	// Error findings make the lint command exit non-zero.
	Error Severity = "error"
	// Warning findings are printed but do not fail the lint.
	Warning Severity = "warning"
)

// Finding is one convention problem at a place in the tree.
type Finding struct {
	// File is relative to the blueprint root when possible (slash-separated).
	File     string   `json:"file"`
	Line     int      `json:"line"`
	Rule     string   `json:"rule"`
	Severity Severity `json:"severity"`
	Message  string   `json:"message"`
	// Hint is one line telling the author how to fix it.
	Hint string `json:"hint"`
}

// String renders the finding as "file:line: severity [rule] message (fix: hint)".
func (f Finding) String() string {
	loc := f.File
	if f.Line > 0 {
		loc = fmt.Sprintf("%s:%d", f.File, f.Line)
	}
	s := fmt.Sprintf("%s: %s [%s] %s", loc, f.Severity, f.Rule, f.Message)
	if f.Hint != "" {
		s += " (fix: " + f.Hint + ")"
	}
	return s
}

// Findings is a list of findings with helpers for reporting.
type Findings []Finding

// Errors counts error-severity findings.
func (fs Findings) Errors() int {
	n := 0
	for _, f := range fs {
		if f.Severity == Error {
			n++
		}
	}
	return n
}

// Sort orders findings by file, line, then rule, so output is stable.
func (fs Findings) Sort() {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Rule < b.Rule
	})
}

// findingAt builds an error finding located at an HCL range.
func findingAt(rng hcl.Range, rule, msg, hint string) Finding {
	return Finding{File: rng.Filename, Line: rng.Start.Line, Rule: rule, Severity: Error, Message: msg, Hint: hint}
}

// diagFindings turns HCL diagnostics (parse or decode errors) into findings under the given rule.
func diagFindings(diags hcl.Diagnostics, rule, hint string) Findings {
	var out Findings
	for _, d := range diags {
		if d.Severity != hcl.DiagError {
			continue
		}
		f := Finding{Rule: rule, Severity: Error, Message: d.Summary, Hint: hint}
		if d.Detail != "" {
			f.Message += ": " + d.Detail
		}
		if d.Subject != nil {
			f.File, f.Line = d.Subject.Filename, d.Subject.Start.Line
		}
		out = append(out, f)
	}
	return out
}
