// Package render formats what the pipeline's functions return: stack summaries and deploy lines as
// text, markdown, or a JSON report for the CI surface. No Dagger types: tested without an engine.
package render

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/platformteam/delivery/pkg/ghactions"
	"github.com/platformteam/delivery/pkg/pipeline"
	"github.com/platformteam/delivery/pkg/stackrun"
)

// Format selects how a function reports: text for a terminal, markdown for a PR comment or step
// summary, json for the CI surface (a ghactions report read by `go run ./cmd/gha publish`).
type Format string

const (
	FormatText     Format = "text"
	FormatMarkdown Format = "markdown"
	FormatJSON     Format = "json"
)

func (f Format) Check() error {
	switch f {
	case FormatText, FormatMarkdown, FormatJSON:
		return nil
	}
	return fmt.Errorf("--format %q: use text, markdown or json", f)
}

// StackChanges turns an engine summary into the pipeline record's stack lines.
func StackChanges(s *stackrun.Summary) []pipeline.StackChange {
	var out []pipeline.StackChange
	for _, r := range s.Stacks {
		out = append(out, pipeline.StackChange{Stack: r.Stack, Action: string(r.Action), Add: r.Add, Change: r.Change, Destroy: r.Destroy, Status: r.Outcome})
	}
	return out
}

// Stacks formats a stack summary. exitCode is what a CI step should exit with (2: drift).
func Stacks(format Format, s *stackrun.Summary, log string, exitCode int) (string, error) {
	switch format {
	case FormatMarkdown:
		return s.Markdown(), nil
	case FormatJSON:
		rep := ghactions.Report{Markdown: s.Markdown(), ExitCode: exitCode, Outputs: map[string]string{}}
		var changed, drifted, unapplied []string
		for _, r := range s.Stacks {
			if r.HasChanges() {
				changed = append(changed, r.Stack)
			}
			if r.Drifted {
				drifted = append(drifted, r.Stack)
			}
			if r.Unapplied {
				unapplied = append(unapplied, r.Stack)
			}
			if r.Status == stackrun.StatusFailed {
				rep.Annotations = append(rep.Annotations, ghactions.Annotation{Level: ghactions.LevelError, Title: r.Stack, Message: r.Error})
				rep.ExitCode = 1
			}
		}
		rep.Outputs["changed_stacks"] = strings.Join(changed, ",")
		rep.Outputs["drifted_stacks"] = strings.Join(drifted, ",")
		rep.Outputs["unapplied_stacks"] = strings.Join(unapplied, ",")
		if s.Error != "" {
			rep.Annotations = append(rep.Annotations, ghactions.Annotation{Level: ghactions.LevelError, Title: string(s.Action) + " " + s.Environment, Message: s.Error})
			rep.ExitCode = 1
		}
		b, err := json.MarshalIndent(rep, "", "  ")
		return string(b), err
	default:
		return log + "\n" + s.Markdown(), nil
	}
}

// NoStacks reports that the path guard selected no stack.
func NoStacks(format Format, msg string) (string, error) {
	if format == FormatJSON {
		b, err := json.MarshalIndent(ghactions.Report{Markdown: msg + "\n", Outputs: map[string]string{"changed_stacks": ""}}, "", "  ")
		return string(b), err
	}
	return msg + "\n", nil
}

// ECSResult is the part of `release ecs deploy --json` the pipeline reports.
type ECSResult struct {
	Previous string `json:"previous_task_definition"`
	New      string `json:"task_definition"`
	Running  string `json:"running_task_definition"`
	Outcome  string `json:"outcome"`
	Reason   string `json:"reason"`
}

// HelmResult is the part of `release eks deploy --json` the pipeline reports.
type HelmResult struct {
	Old     int    `json:"old_revision"`
	New     int    `json:"new_revision"`
	Current int    `json:"current_revision"`
	Outcome string `json:"outcome"`
	Reason  string `json:"reason"`
}

// ECSLine is one line saying what the ECS deploy changed.
func ECSLine(r ECSResult) string {
	if r.Outcome == "unchanged" {
		return fmt.Sprintf("ecs: unchanged, already running %s\n", r.Previous)
	}
	return fmt.Sprintf("ecs: task definition %s → %s\n", r.Previous, r.New)
}

// HelmLine is one line saying what the Helm deploy changed.
func HelmLine(r HelmResult) string {
	if r.Outcome == "unchanged" {
		return fmt.Sprintf("eks: unchanged, release at revision %d\n", r.Current)
	}
	return fmt.Sprintf("eks: helm revision %s → %d\n", Revision(r.Old), r.New)
}

// Revision prints a Helm revision, "(none)" for 0.
func Revision(n int) string {
	if n == 0 {
		return "(none)"
	}
	return strconv.Itoa(n)
}

// LastLines keeps the last n lines of s.
func LastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// RollbackLine summarises `release <target> rollback --json` in one line (the JSON itself when it has
// an unexpected shape, so nothing is hidden).
func RollbackLine(target, out string) string {
	var r struct {
		From   json.RawMessage `json:"from"`
		To     json.RawMessage `json:"to"`
		Target json.RawMessage `json:"target"`
		Image  string          `json:"image"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil || len(r.From) == 0 || len(r.To) == 0 {
		return out
	}
	unq := func(raw json.RawMessage) string { return strings.Trim(string(raw), `"`) }
	if target == "ecs" {
		return fmt.Sprintf("ecs: rolled back, task definition %s → %s (%s)\n", unq(r.From), unq(r.To), r.Image)
	}
	return fmt.Sprintf("eks: rolled back, helm revision %s → %s (content of revision %s)\n", unq(r.From), unq(r.To), unq(r.Target))
}
