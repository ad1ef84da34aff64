package ghactions

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
)

// Level is an annotation's severity.
type Level string

// Annotation levels, as GitHub Actions names them.
const (
	LevelError   Level = "error"
	LevelWarning Level = "warning"
	LevelNotice  Level = "notice"
)

// Annotation is one finding tied, when known, to a file and line.
type Annotation struct {
	Level   Level  `json:"level"`
	File    string `json:"file,omitempty"`
	Line    int    `json:"line,omitempty"`
	Title   string `json:"title,omitempty"`
	Message string `json:"message"`
}

// String renders the annotation as one plain line: "error: file:line: title: message".
func (a Annotation) String() string {
	s := string(a.Level) + ": "
	if a.File != "" {
		s += a.File
		if a.Line > 0 {
			s += fmt.Sprintf(":%d", a.Line)
		}
		s += ": "
	}
	if a.Title != "" {
		s += a.Title + ": "
	}
	return s + a.Message
}

// Report is what a pipeline step hands to the CI surface: a markdown summary, step outputs,
// findings, and values that must be masked. It travels as report.json.
type Report struct {
	Markdown    string            `json:"markdown,omitempty"`
	Outputs     map[string]string `json:"outputs,omitempty"`
	Annotations []Annotation      `json:"annotations,omitempty"`
	Masks       []string          `json:"masks,omitempty"`
	// ExitCode is the step's result (0 ok; the stack engine uses 2 for drift).
	ExitCode int `json:"exit_code"`
}

var outputKeyRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

// Validate checks a report before anything is published from it.
func (r Report) Validate() error {
	var errs []error
	for k := range r.Outputs {
		if !outputKeyRE.MatchString(k) {
			errs = append(errs, fmt.Errorf("output name %q is invalid: use letters, digits, _ and -", k))
		}
	}
	for i, a := range r.Annotations {
		switch a.Level {
		case LevelError, LevelWarning, LevelNotice:
		default:
			errs = append(errs, fmt.Errorf("annotation %d: level %q must be error, warning or notice", i, a.Level))
		}
		if a.Message == "" {
			errs = append(errs, fmt.Errorf("annotation %d: message is empty", i))
		}
	}
	if r.ExitCode < 0 || r.ExitCode > 255 {
		errs = append(errs, fmt.Errorf("exit_code %d is out of range 0-255", r.ExitCode))
	}
	return errors.Join(errs...)
}

// ReadReport loads and validates a report.json.
func ReadReport(path string) (Report, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return Report{}, fmt.Errorf("read report %s: %w (did the pipeline step export it?)", path, err)
	}
	var r Report
	if err := json.Unmarshal(raw, &r); err != nil {
		return Report{}, fmt.Errorf("parse report %s: %w", path, err)
	}
	if err := r.Validate(); err != nil {
		return Report{}, fmt.Errorf("report %s: %w", path, err)
	}
	return r, nil
}
