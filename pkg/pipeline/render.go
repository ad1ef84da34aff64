package pipeline

import (
	"fmt"
	"strings"
	"time"

	"github.com/platformteam/delivery/pkg/ghactions"
)

// Text renders the run for a terminal.
func (r *Run) Text() string {
	var b strings.Builder
	verdict := "changed"
	switch {
	case r.Failed():
		verdict = "FAILED"
	case !r.Changed():
		verdict = "no change"
	}
	fmt.Fprintf(&b, "deploy %s: %s (%s)\n", r.Env, verdict, round(r.Total()))
	if r.Image != nil {
		fmt.Fprintf(&b, "  image    %s (commit %s)\n", r.Image.Ref, r.Image.CommitSHA)
	}
	changed := 0
	for _, s := range r.Stacks {
		if s.Changed() {
			changed++
		}
	}
	if len(r.Stacks) > 0 {
		fmt.Fprintf(&b, "  stacks   %d of %d changed\n", changed, len(r.Stacks))
		for _, s := range r.Stacks {
			fmt.Fprintf(&b, "    %-28s %-6s +%d ~%d -%d %s\n", s.Stack, s.Action, s.Add, s.Change, s.Destroy, s.Status)
		}
	}
	for _, ro := range r.Rollouts {
		if ro.Changed {
			fmt.Fprintf(&b, "  %-8s %s %s → %s\n", ro.Target, ro.What, orNone(ro.Old), ro.New)
		} else {
			fmt.Fprintf(&b, "  %-8s %s %s (no change)\n", ro.Target, ro.What, orNone(ro.New))
		}
	}
	if r.Image != nil && !r.Failed() {
		if r.Verified {
			fmt.Fprintf(&b, "  verify   running digest = %s\n", r.Image.Digest)
		}
	}
	b.WriteString("  steps\n")
	for _, s := range r.Steps {
		fmt.Fprintf(&b, "    %-12s %-9s %8s  %s\n", s.Name, s.Status, round(s.Duration), s.Detail)
	}
	return b.String()
}

// Markdown renders the run for a GitHub step summary or a PR comment.
func (r *Run) Markdown() string {
	var b strings.Builder
	title := "changed"
	switch {
	case r.Failed():
		title = "failed"
	case !r.Changed():
		title = "no change"
	}
	fmt.Fprintf(&b, "### Deploy `%s`: %s\n\n", r.Env, title)
	if r.Image != nil {
		fmt.Fprintf(&b, "Image `%s` from commit `%s`", r.Image.Ref, r.Image.CommitSHA)
		if r.Verified {
			b.WriteString(" — verified running on every target")
		}
		b.WriteString(".\n\n")
	}
	if len(r.Stacks) > 0 {
		b.WriteString(StacksMarkdown(r.Stacks))
		b.WriteString("\n")
	}
	if len(r.Rollouts) > 0 {
		b.WriteString("| target | what | old | new |\n|---|---|---|---|\n")
		for _, ro := range r.Rollouts {
			nw := "`" + ro.New + "`"
			if !ro.Changed {
				nw = "no change"
			}
			fmt.Fprintf(&b, "| %s | %s | `%s` | %s |\n", ro.Target, ro.What, orNone(ro.Old), nw)
		}
		b.WriteString("\n")
	}
	b.WriteString("| step | status | duration | detail |\n|---|---|---:|---|\n")
	for _, s := range r.Steps {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", s.Name, s.Status, round(s.Duration), strings.ReplaceAll(s.Detail, "|", `\|`))
	}
	return b.String()
}

// StacksMarkdown renders stack changes as a markdown table.
func StacksMarkdown(stacks []StackChange) string {
	var b strings.Builder
	b.WriteString("| stack | action | add | change | destroy | status |\n|---|---|---:|---:|---:|---|\n")
	for _, s := range stacks {
		fmt.Fprintf(&b, "| `%s` | %s | %d | %d | %d | %s |\n", s.Stack, s.Action, s.Add, s.Change, s.Destroy, s.Status)
	}
	return b.String()
}

// Report renders the run for the CI surface: markdown summary plus outputs other jobs can use.
func (r *Run) Report() ghactions.Report {
	rep := ghactions.Report{Markdown: r.Markdown(), Outputs: map[string]string{"changed": fmt.Sprint(r.Changed())}}
	if r.Image != nil {
		rep.Outputs["image"] = r.Image.Ref
		rep.Outputs["digest"] = r.Image.Digest
		rep.Outputs["commit_sha"] = r.Image.CommitSHA
	}
	for _, ro := range r.Rollouts {
		rep.Outputs[ro.Target+"_new"] = ro.New
		rep.Outputs[ro.Target+"_old"] = ro.Old
	}
	for _, s := range r.Steps {
		if s.Status == StatusFailed {
			rep.Annotations = append(rep.Annotations, ghactions.Annotation{Level: ghactions.LevelError, Title: s.Name, Message: s.Detail})
			rep.ExitCode = 1
		}
	}
	return rep
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func round(d time.Duration) time.Duration {
	if d >= time.Second {
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Millisecond)
}
