package stackrun

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// LockHeldError means another process holds the stack's state lock (after waiting --lock-timeout).
type LockHeldError struct {
	Stack, Env, Key   string
	ID, Who, Created  string
	Operation, Binary string
	// Age is how long the lock has been held, when Created could be read.
	Age time.Duration
}

func (e *LockHeldError) Error() string {
	who := e.Who
	if who == "" {
		who = "another process"
	}
	msg := fmt.Sprintf("state lock held: %s (key %s) is locked by %s", e.Stack, e.Key, who)
	if e.Operation != "" {
		msg += " for " + e.Operation
	}
	if e.Created != "" {
		msg += " since " + lockCreatedForHumans(e.Created)
		if e.Age > 0 {
			msg += fmt.Sprintf(" (%s ago)", e.Age.Round(time.Second))
		}
	}
	if e.ID != "" {
		msg += fmt.Sprintf(", lock ID %s", e.ID)
	}
	msg += ". If that run is still going, wait for it and retry (or pass a longer --lock-timeout)"
	if e.ID != "" {
		msg += fmt.Sprintf(". If it was killed, its lock stays until removed: check nothing else is applying %s, then run `%s`"+
			" (through Dagger: `dagger call force-unlock --env %s --stack %s --lock-id %s`) and apply again", e.Stack, e.UnlockCommand(), e.Env, e.Stack, e.ID)
	}
	return msg
}

// UnlockCommand is the exact command that removes this lock.
func (e *LockHeldError) UnlockCommand() string {
	return fmt.Sprintf("go run ./cmd/stacks force-unlock --env %s --stack %s --lock-id %s", e.Env, e.Stack, e.ID)
}

// lockCreatedLayouts are the forms terraform prints Lock Info's Created in.
var lockCreatedLayouts = []string{"2006-01-02 15:04:05.999999999 -0700 MST", "2006-01-02 15:04:05 MST", time.RFC3339Nano}

func lockCreatedAt(created string) (time.Time, bool) {
	for _, layout := range lockCreatedLayouts {
		if t, err := time.Parse(layout, created); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func lockAge(created string, now time.Time) time.Duration {
	if t, ok := lockCreatedAt(created); ok {
		return now.Sub(t)
	}
	return 0
}

// lockCreatedForHumans is terraform's Created to the second, in UTC (terraform prints nanoseconds and
// the local zone); text it cannot read is shown as it is.
func lockCreatedForHumans(created string) string {
	if t, ok := lockCreatedAt(created); ok {
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	}
	return created
}

// UpstreamMissingError means a remote state the stack reads has never been applied.
type UpstreamMissingError struct {
	Stack string
	Read  string // remote state block name, e.g. "vpc"
}

func (e *UpstreamMissingError) Error() string {
	return fmt.Sprintf("%s reads remote state %q, which does not exist yet: apply its upstream stack first (stacks apply runs upstreams before dependents)", e.Stack, e.Read)
}

// StalePlanError means a saved plan no longer matches its inputs and was not applied.
type StalePlanError struct {
	Stack   string
	Reasons []string
}

func (e *StalePlanError) Error() string {
	return fmt.Sprintf("stale plan for %s, not applied: %s; run `stacks plan` again for this stack and review the new plan",
		e.Stack, strings.Join(e.Reasons, "; "))
}

// InterruptedError means terraform was interrupted (one SIGINT, then a grace period) because the run was
// cancelled or the stack timeout was reached; terraform wrote its state and released its lock if it
// finished within the grace period (else the next run reports the lock it left).
type InterruptedError struct {
	Stack, Command, Reason string
}

func (e *InterruptedError) Error() string {
	return fmt.Sprintf("%s %s interrupted because %s: terraform stopped after writing its state; run again to finish", e.Command, e.Stack, e.Reason)
}

// TerraformError is any other non-zero exit; Summary is terraform's first error line.
type TerraformError struct {
	Stack, Command string
	ExitCode       int
	Summary        string
}

func (e *TerraformError) Error() string {
	s := fmt.Sprintf("%s %s failed (exit %d)", e.Command, e.Stack, e.ExitCode)
	if e.Summary != "" {
		s += ": " + e.Summary
	}
	return s + " (full output above)"
}

var (
	lockFieldRE   = regexp.MustCompile(`(?m)^\s*(ID|Path|Operation|Who|Created):\s*(.*)$`)
	errorLineRE   = regexp.MustCompile(`(?m)^(?:│ )?Error: (.+)$`)
	remoteStateRE = regexp.MustCompile(`data "terraform_remote_state" "([^"]+)"`)
)

// classify names the cause of a failed invocation from terraform's diagnostics.
func (r *Runner) classify(inv Invocation, res Result) error {
	text := string(res.Stderr) + "\n" + string(res.Stdout)
	switch {
	case isStateLockText(text):
		e := &LockHeldError{Stack: inv.Stack, Env: r.env.Name, Key: r.env.StateKey(inv.Stack), Binary: r.binaryName()}
		for _, m := range lockFieldRE.FindAllStringSubmatch(text, -1) {
			v := strings.TrimSpace(m[2])
			switch m[1] {
			case "ID":
				e.ID = v
			case "Who":
				e.Who = v
			case "Created":
				e.Created, e.Age = v, lockAge(v, time.Now())
			case "Operation":
				e.Operation = v
			}
		}
		return e
	case strings.Contains(text, "Unable to find remote state"):
		e := &UpstreamMissingError{Stack: inv.Stack}
		if m := remoteStateRE.FindStringSubmatch(text); m != nil {
			e.Read = m[1]
		}
		return e
	case strings.Contains(text, "Saved plan is stale"):
		return &StalePlanError{Stack: inv.Stack, Reasons: []string{"the state changed since the plan was made"}}
	}
	e := &TerraformError{Stack: inv.Stack, Command: r.binaryName() + " " + firstArg(inv.Args), ExitCode: res.ExitCode}
	if m := errorLineRE.FindStringSubmatch(text); m != nil {
		e.Summary = strings.TrimSpace(m[1])
	}
	return e
}

// outcomeOf names a failure for the summary's result column.
func outcomeOf(err error) string {
	var lock *LockHeldError
	var stale *StalePlanError
	var missing *UpstreamMissingError
	switch {
	case errors.As(err, &lock):
		return "state locked"
	case errors.As(err, &stale):
		return "stale plan"
	case errors.As(err, &missing):
		return "upstream missing"
	case errors.As(err, new(*InterruptedError)), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "interrupted"
	}
	return "failed"
}
