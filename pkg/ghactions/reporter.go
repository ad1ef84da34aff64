// Package ghactions publishes pipeline results where they are read: on GitHub Actions through the
// runner's workflow commands and files (outputs, step summary, masks, log groups, error annotations),
// and as plain text everywhere else (a laptop, CodeBuild).
package ghactions

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/sethvargo/go-githubactions"
)

// Reporter writes results for the environment it runs in. Create it with New.
type Reporter struct {
	action  *githubactions.Action
	out     io.Writer
	actions bool
}

// New returns a Reporter writing to out. getenv is usually os.Getenv; tests pass their own.
// It detects GitHub Actions by GITHUB_ACTIONS=true, as the runner sets it.
func New(out io.Writer, getenv func(string) string) *Reporter {
	if getenv == nil {
		getenv = os.Getenv
	}
	return &Reporter{
		action:  githubactions.New(githubactions.WithWriter(out), githubactions.WithGetenv(getenv)),
		out:     out,
		actions: getenv("GITHUB_ACTIONS") == "true",
	}
}

// OnActions reports whether the process runs as a GitHub Actions step.
func (r *Reporter) OnActions() bool { return r.actions }

// Mask hides values from the rest of the job's log. Call it before anything could print them.
// Outside Actions there is no log masking, so it does nothing.
func (r *Reporter) Mask(values ...string) {
	if !r.actions {
		return
	}
	for _, v := range values {
		if strings.TrimSpace(v) != "" {
			r.action.AddMask(v)
		}
	}
}

// Group prints fn's output as one collapsible group on Actions, or under a heading elsewhere.
func (r *Reporter) Group(title string, fn func()) {
	if r.actions {
		r.action.Group(title)
		defer r.action.EndGroup()
	} else {
		fmt.Fprintf(r.out, "== %s\n", title)
	}
	fn()
}

// Summary adds markdown to the job's step summary on Actions, or prints it elsewhere.
func (r *Reporter) Summary(markdown string) {
	if markdown == "" {
		return
	}
	if r.actions {
		r.action.AddStepSummary(markdown)
		return
	}
	fmt.Fprintln(r.out, strings.TrimRight(markdown, "\n"))
}

// Output sets a step output on Actions, or prints key=value elsewhere.
func (r *Reporter) Output(key, value string) {
	if r.actions {
		r.action.SetOutput(key, value)
		return
	}
	fmt.Fprintf(r.out, "%s=%s\n", key, value)
}

// Annotate reports a finding: an annotation on the file and line on Actions, a plain line elsewhere.
func (r *Reporter) Annotate(a Annotation) {
	if !r.actions {
		fmt.Fprintln(r.out, a.String())
		return
	}
	fields := map[string]string{}
	if a.File != "" {
		fields["file"] = a.File
	}
	if a.Line > 0 {
		fields["line"] = fmt.Sprint(a.Line)
	}
	if a.Title != "" {
		fields["title"] = a.Title
	}
	act := r.action.WithFieldsMap(fields)
	switch a.Level {
	case LevelWarning:
		act.Warningf("%s", a.Message)
	case LevelNotice:
		act.Noticef("%s", a.Message)
	default:
		act.Errorf("%s", a.Message)
	}
}

// Publish writes a whole Report: masks first, then annotations, outputs (sorted by key) and the summary.
func (r *Reporter) Publish(rep Report) {
	r.Mask(rep.Masks...)
	for _, a := range rep.Annotations {
		r.Annotate(a)
	}
	keys := make([]string, 0, len(rep.Outputs))
	for k := range rep.Outputs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		r.Output(k, rep.Outputs[k])
	}
	r.Summary(rep.Markdown)
}
