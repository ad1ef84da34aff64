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
	Parallelism int           `json:"parallelism"`
	Stacks      []StackResult `json:"stacks"`
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

// OK reports whether no stack failed or was skipped.
func (s *Summary) OK() bool { return s.Count(StatusFailed)+s.Count(StatusSkipped) == 0 }

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
		Failed          int     `json:"failed"`
		Skipped         int     `json:"skipped"`
		Drifted         int     `json:"drifted"`
	}{plain(*s), round2(s.Duration.Seconds()), s.Count(StatusFailed), s.Count(StatusSkipped), len(s.Drifted())}, "", "  ")
}

// Markdown renders the summary as a GitHub-flavoured table (the Actions step summary uses this).
func (s *Summary) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "### stacks %s · %s\n\n", s.Action, s.Environment)
	b.WriteString("| stack | action | result | add | change | destroy | duration | details |\n")
	b.WriteString("| --- | --- | --- | ---: | ---: | ---: | ---: | --- |\n")
	for _, r := range s.Stacks {
		details := r.Error
		switch {
		case r.Status == StatusPending:
			details = "plan after " + r.SkippedBecause + " is applied"
		case r.SkippedBecause != "":
			details = "upstream " + r.SkippedBecause + " did not succeed"
		case details == "" && r.Drifted:
			details = strings.Join(r.Changes, ", ")
		case details == "":
			details = r.Note
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %d | %d | %d | %s | %s |\n", r.Stack, r.Action, resultCell(r),
			r.Add, r.Change, r.Destroy, r.Duration.Round(100*time.Millisecond), mdEscape(details))
	}
	fmt.Fprintf(&b, "\n%d stacks in %s (parallelism %d): %d succeeded, %d failed, %d skipped",
		len(s.Stacks), s.Duration.Round(100*time.Millisecond), s.Parallelism, s.Count(StatusSucceeded), s.Count(StatusFailed), s.Count(StatusSkipped))
	if n := s.Count(StatusPending); n > 0 {
		fmt.Fprintf(&b, ", %d pending an upstream apply", n)
	}
	if s.Action == ActionDrift {
		fmt.Fprintf(&b, ", %d drifted", len(s.Drifted()))
	}
	b.WriteString(".\n")
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
	if r.Drifted {
		return "⚠️ drifted"
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
