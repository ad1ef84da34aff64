package pipeline

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/platformteam/delivery/pkg/diagnosis"
	"github.com/platformteam/delivery/pkg/ghactions"
	"github.com/platformteam/delivery/pkg/stackrun"
)

// Format selects how a run is reported: text for a terminal, markdown for a PR comment or step summary,
// json for the CI surface (a ghactions.Report read by `go run ./cmd/gha publish`).
type Format string

// The three formats.
const (
	FormatText     Format = "text"
	FormatMarkdown Format = "markdown"
	FormatJSON     Format = "json"
)

// Check refuses anything but the three formats.
func (f Format) Check() error {
	switch f {
	case FormatText, FormatMarkdown, FormatJSON:
		return nil
	}
	return fmt.Errorf("--format %q: use text, markdown or json", f)
}

// Render is the one renderer of a deploy run, in any of the three formats.
func (r *Run) Render(f Format) (string, error) {
	switch f {
	case FormatText:
		return r.Text(), nil
	case FormatMarkdown:
		return r.Markdown(), nil
	case FormatJSON:
		b, err := json.MarshalIndent(r.Report(), "", "  ")
		return string(b) + "\n", err
	}
	return "", f.Check()
}

func (r *Run) verdict() string {
	switch {
	case r.ExitCode != 0 || r.Failed():
		return "FAILED"
	case !r.Changed():
		return "no change"
	}
	return "changed"
}

// Text renders the run for a terminal.
func (r *Run) Text() string { return r.mask()(r.text()) }

func (r *Run) text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "deploy %s: %s (%s)\n", r.Env, r.verdict(), round(r.Wall()))
	if r.Err != nil {
		fmt.Fprintf(&b, "  error    %s\n", r.Err)
	}
	if r.Artifact != nil {
		fmt.Fprintf(&b, "  image    %s (commit %s)\n", r.Artifact.Ref(), r.Artifact.Tag())
	}
	if !r.PromotedFrom.IsZero() {
		fmt.Fprintf(&b, "  promoted from %s (same digest, not rebuilt)\n", r.PromotedFrom.Repository())
	}
	if len(r.Stacks) > 0 {
		changed := 0
		for _, s := range r.Stacks {
			if s.Changed() {
				changed++
			}
		}
		fmt.Fprintf(&b, "  stacks   %d of %d changed\n", changed, len(r.Stacks))
		for _, s := range r.Stacks {
			fmt.Fprintf(&b, "    %-28s %-6s +%d ~%d -%d %s\n", s.Stack, s.Action, s.Add, s.Change, s.Destroy, s.Status)
		}
	}
	for _, ro := range r.Rollouts {
		fmt.Fprintf(&b, "  %-8s %s\n", ro.Target, rolloutText(ro))
		if ro.Strategy != "" {
			fmt.Fprintf(&b, "  %-8s %s\n", "", ro.Strategy)
		}
		if !ro.Diagnosis.Empty() {
			fmt.Fprintf(&b, "  why %s failed:\n", ro.Target)
			for _, line := range ro.Diagnosis.Lines() {
				fmt.Fprintf(&b, "    %s\n", line)
			}
		}
	}
	if r.Verified && r.Artifact != nil {
		fmt.Fprintf(&b, "  verify   running digest = %s\n", r.Artifact.Digest())
	}
	if r.Split != "" {
		fmt.Fprintf(&b, "  split    %s\n", r.Split)
	}
	b.WriteString("  steps\n")
	for _, s := range r.Steps {
		fmt.Fprintf(&b, "    %-12s %-9s %8s  %s\n", s.Name, s.Status, round(s.Duration), s.Detail)
	}
	if r.DeployWall > 0 {
		fmt.Fprintf(&b, "  deploys  ecs ∥ eks in %s (%s)\n", round(r.DeployWall), r.stepTimes(StepDeployECS, StepDeployEKS))
	}
	return b.String()
}

func (r *Run) stepTimes(names ...string) string {
	var parts []string
	for _, n := range names {
		for _, s := range r.Steps {
			if s.Name == n {
				parts = append(parts, fmt.Sprintf("%s %s", n, round(s.Duration)))
			}
		}
	}
	return strings.Join(parts, ", ")
}

func rolloutText(ro Rollout) string {
	switch {
	case ro.Restored:
		return fmt.Sprintf("%s %s → %s, restored to %s (the other target failed)", ro.What, orNone(ro.Previous), ro.Created, ro.Previous)
	case ro.Outcome == "":
		return fmt.Sprintf("%s not deployed: %s", ro.What, firstLine(ro.Reason))
	case ro.Changed():
		return fmt.Sprintf("%s %s → %s", ro.What, orNone(ro.Previous), ro.Created)
	case ro.Outcome == "unchanged":
		return fmt.Sprintf("%s %s (no change)", ro.What, orNone(ro.Current))
	}
	return fmt.Sprintf("%s %s: %s, runs %s", ro.What, orNone(ro.Current), ro.Outcome, ro.Running())
}

// Markdown renders the run for a GitHub step summary or a PR comment.
func (r *Run) Markdown() string { return r.mask()(r.markdown()) }

func (r *Run) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "### Deploy `%s`: %s\n\n", r.Env, strings.ToLower(r.verdict()))
	if r.Artifact != nil {
		fmt.Fprintf(&b, "Image `%s` from commit `%s`", r.Artifact.Ref(), r.Artifact.Tag())
		if !r.PromotedFrom.IsZero() {
			fmt.Fprintf(&b, ", promoted from `%s` (same digest, not rebuilt)", r.PromotedFrom.Repository())
		}
		if r.Verified {
			b.WriteString(" — verified running on every target")
		}
		b.WriteString(".\n\n")
	}
	if r.Err != nil {
		fmt.Fprintf(&b, "**Error:** %s\n\n", mdEscape(r.Err.Error()))
	}
	if r.Split != "" {
		fmt.Fprintf(&b, "**Split result:** %s\n\n", mdEscape(r.Split))
	}
	if len(r.Stacks) > 0 {
		b.WriteString(StacksMarkdown(r.Stacks))
		b.WriteString("\n")
	}
	if len(r.Rollouts) > 0 {
		b.WriteString("| target | what | old | new | runs now |\n|---|---|---|---|---|\n")
		for _, ro := range r.Rollouts {
			nw := "`" + ro.Created + "`"
			switch {
			case ro.Outcome == "unchanged":
				nw = "no change"
			case ro.Created == "":
				nw = string(ro.Outcome)
			case ro.Restored:
				nw += " (restored)"
			}
			fmt.Fprintf(&b, "| %s | %s | `%s` | %s | `%s` |\n", ro.Target, ro.What, orNone(ro.Previous), nw, ro.Running())
		}
		b.WriteString("\n")
		for _, ro := range r.Rollouts {
			if ro.Strategy != "" {
				fmt.Fprintf(&b, "%s deployment: %s\n\n", ro.Target, mdEscape(ro.Strategy))
			}
			if !ro.Diagnosis.Empty() {
				lines := strings.ReplaceAll(strings.Join(ro.Diagnosis.Lines(), "\n"), "```", "` ` `")
				fmt.Fprintf(&b, "**Why %s failed:**\n\n```text\n%s\n```\n\n", ro.Target, lines)
			}
		}
	}
	b.WriteString("| step | status | duration | detail |\n|---|---|---:|---|\n")
	for _, s := range r.Steps {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", s.Name, s.Status, round(s.Duration), mdEscape(s.Detail))
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

// Report renders the run for the CI surface: the markdown summary, outputs other jobs can use, an
// annotation per failed step, the values to mask, and the exit code.
func (r *Run) Report() ghactions.Report {
	rep := ghactions.Report{Markdown: r.Markdown(), ExitCode: r.ExitCode, Masks: append(append([]string{}, r.Masks...), r.credentials()...),
		Outputs: map[string]string{"changed": fmt.Sprint(r.Changed())}}
	if r.Artifact != nil {
		rep.Outputs["image"] = r.Artifact.Ref()
		rep.Outputs["digest"] = r.Artifact.Digest()
		rep.Outputs["commit_sha"] = r.Artifact.Tag()
		if raw, err := r.Artifact.Marshal(); err == nil {
			rep.Outputs["artifact"] = strings.TrimSpace(string(raw))
		}
	}
	for _, ro := range r.Rollouts {
		rep.Outputs[string(ro.Target)+"_old"] = ro.Previous
		rep.Outputs[string(ro.Target)+"_new"] = ro.Current
		rep.Outputs[string(ro.Target)+"_running"] = ro.Running()
	}
	for _, s := range r.Steps {
		if s.Status == StatusFailed {
			rep.Annotations = append(rep.Annotations, ghactions.Annotation{Level: ghactions.LevelError, Title: s.Name, Message: r.mask()(s.Detail)})
		}
	}
	if r.Err != nil && len(rep.Annotations) == 0 {
		rep.Annotations = append(rep.Annotations, ghactions.Annotation{Level: ghactions.LevelError, Title: "deploy " + r.Env, Message: r.mask()(r.Err.Error())})
	}
	if r.Split != "" {
		rep.Annotations = append(rep.Annotations, ghactions.Annotation{Level: ghactions.LevelWarning, Title: "split result", Message: r.Split})
	}
	return rep
}

// credentials are the credential values found in what the run reports (failure reasons, platform
// messages, errors): presigned-URL signatures and tokens, bearer and EKS tokens, URL passwords.
func (r *Run) credentials() []string {
	var text []string
	if r.Err != nil {
		text = append(text, r.Err.Error())
	}
	text = append(text, r.Split)
	for _, s := range r.Steps {
		text = append(text, s.Detail)
	}
	for _, ro := range r.Rollouts {
		text = append(text, ro.Reason, ro.Diagnosis.Text())
	}
	return diagnosis.FindCredentials(strings.Join(text, "\n"))
}

// mask hides the credentials found in the run in every rendering (the CI log masks Report's Masks,
// which also hold r.Masks).
func (r *Run) mask() func(string) string { return diagnosis.Mask(r.credentials()) }

// StackChanges turns a stack engine summary into the run's stack lines.
func StackChanges(s *stackrun.Summary) []StackChange {
	var out []StackChange
	for _, r := range s.Stacks {
		out = append(out, StackChange{Stack: r.Stack, Action: string(r.Action), Add: r.Add, Change: r.Change, Destroy: r.Destroy, Status: r.Outcome})
	}
	return out
}

// RenderStacks renders a stack engine summary (plan, apply, drift) in one of the three formats.
// exitCode is what a CI step should exit with (2: drift; a failed stack makes it 1).
func RenderStacks(f Format, s *stackrun.Summary, log string, exitCode int) (string, error) {
	switch f {
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
	case FormatText:
		return log + "\n" + s.Markdown(), nil
	}
	return "", f.Check()
}

// RenderNoStacks reports that the path guard selected no stack.
func RenderNoStacks(f Format, msg string) (string, error) {
	if f == FormatJSON {
		b, err := json.MarshalIndent(ghactions.Report{Markdown: msg + "\n", Outputs: map[string]string{"changed_stacks": ""}}, "", "  ")
		return string(b), err
	}
	return msg + "\n", nil
}

func mdEscape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ")
}

func round(d time.Duration) time.Duration {
	if d >= time.Second {
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Millisecond)
}
