package stackrun

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Summary is the result of one runner action over its stacks, in dependency order.
type Summary struct {
	Environment string        `json:"environment"`
	Action      Action        `json:"action"`
	Started     time.Time     `json:"started"`
	Duration    time.Duration `json:"-"`
	// Guard is how long the account guard took before any stack started (0 without a guard).
	Guard       time.Duration `json:"-"`
	Parallelism int           `json:"parallelism"`
	Stacks      []StackResult `json:"stacks"`
	// Bundle is the plan bundle written (plan) or applied (apply).
	Bundle string `json:"bundle,omitempty"`
	// Error is set when the action was refused as a whole (nothing ran) or its bundle was not written.
	Error string `json:"error,omitempty"`
}

// Count returns how many stacks ended with the status.
func (s *Summary) Count(st Status) int {
	n := 0
	for _, r := range s.Stacks {
		if r.Status == st {
			n++
		}
	}
	return n
}

// OK reports whether nothing was refused and no stack failed or was skipped.
func (s *Summary) OK() bool {
	return s.Error == "" && s.Count(StatusFailed)+s.Count(StatusSkipped) == 0
}

// Unapplied lists the stacks whose drift check found code merged but not applied.
func (s *Summary) Unapplied() []string {
	var out []string
	for _, r := range s.Stacks {
		if r.Unapplied {
			out = append(out, r.Stack)
		}
	}
	return out
}

// Drifted lists the stacks whose drift check found changes.
func (s *Summary) Drifted() []string {
	var out []string
	for _, r := range s.Stacks {
		if r.Drifted {
			out = append(out, r.Stack)
		}
	}
	return out
}

// Result returns one stack's result.
func (s *Summary) Result(stack string) (StackResult, bool) {
	for _, r := range s.Stacks {
		if r.Stack == stack {
			return r, true
		}
	}
	return StackResult{}, false
}

// JSON renders the summary as indented JSON (durations in seconds).
func (s *Summary) JSON() ([]byte, error) {
	type plain Summary
	return json.MarshalIndent(struct {
		plain
		DurationSeconds float64 `json:"duration_seconds"`
		GuardSeconds    float64 `json:"account_guard_seconds,omitempty"`
		Failed          int     `json:"failed"`
		Skipped         int     `json:"skipped"`
		Drifted         int     `json:"drifted"`
		Unapplied       int     `json:"unapplied"`
	}{plain(*s), round2(s.Duration.Seconds()), round2(s.Guard.Seconds()), s.Count(StatusFailed), s.Count(StatusSkipped), len(s.Drifted()), len(s.Unapplied())}, "", "  ")
}

// Markdown renders the summary as a GitHub-flavoured table (the Actions step summary uses this).
func (s *Summary) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "### stacks %s · %s\n\n", s.Action, s.Environment)
	if s.Error != "" {
		fmt.Fprintf(&b, "**%s**\n\n", mdEscape(s.Error))
	}
	b.WriteString("| stack | action | result | add | change | destroy | duration | started | details |\n")
	b.WriteString("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | --- |\n")
	for _, r := range s.Stacks {
		details := r.Error
		switch {
		case r.Status == StatusPending:
			details = "plan after " + r.SkippedBecause + " is applied"
		case r.SkippedBecause != "":
			details = "upstream " + r.SkippedBecause + " did not succeed"
		case details == "" && (r.Drifted || r.Unapplied):
			var parts []string
			if r.Drifted {
				parts = append(parts, "changed outside Terraform: "+strings.Join(r.DriftChanges, ", "))
			}
			if r.Unapplied {
				parts = append(parts, "code not applied: "+strings.Join(r.Changes, ", "))
			}
			details = strings.Join(parts, "; ")
		case details == "":
			details = r.Note
		}
		started := ""
		if r.Duration > 0 {
			started = "+" + r.Start.Round(100*time.Millisecond).String()
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %d | %d | %d | %s | %s | %s |\n", r.Stack, r.Action, resultCell(r),
			r.Add, r.Change, r.Destroy, r.Duration.Round(100*time.Millisecond), started, mdEscape(details))
	}
	guard := ""
	if s.Guard > 0 {
		guard = ", account guard " + s.Guard.Round(100*time.Millisecond).String()
	}
	fmt.Fprintf(&b, "\n%d stacks in %s (parallelism %d%s): %d succeeded, %d failed, %d skipped",
		len(s.Stacks), s.Duration.Round(100*time.Millisecond), s.Parallelism, guard, s.Count(StatusSucceeded), s.Count(StatusFailed), s.Count(StatusSkipped))
	if n := s.Count(StatusPending); n > 0 {
		fmt.Fprintf(&b, ", %d pending an upstream apply", n)
	}
	if s.Action == ActionDrift {
		fmt.Fprintf(&b, ", %d drifted (changed outside Terraform), %d with code not applied", len(s.Drifted()), len(s.Unapplied()))
	}
	b.WriteString(".\n")
	if s.Bundle != "" {
		fmt.Fprintf(&b, "Plan bundle: `%s`.\n", s.Bundle)
	}
	return b.String()
}

func resultCell(r StackResult) string {
	switch r.Status {
	case StatusFailed:
		return "❌ " + r.Outcome
	case StatusSkipped:
		return "⏭️ " + r.Outcome
	case StatusPending:
		return "⏳ " + r.Outcome
	}
	if r.Drifted || r.Unapplied {
		return "⚠️ " + r.Outcome
	}
	return "✅ " + r.Outcome
}

func mdEscape(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) > 300 {
		s = s[:297] + "..."
	}
	return s
}
