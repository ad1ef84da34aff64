package stackrun

import (
	"encoding/json"
	"time"
)

// Action is what the runner does to each stack.
type Action string

// Actions.
const (
	ActionPlan   Action = "plan"
	ActionApply  Action = "apply"
	ActionDrift  Action = "drift"
	ActionOutput Action = "output"
)

// Status is how a stack's action ended.
type Status string

// Statuses.
const (
	StatusSucceeded Status = "succeeded"
	StatusFailed    Status = "failed"
	// StatusSkipped means the stack did not run because an upstream failed or was skipped.
	StatusSkipped Status = "skipped"
	// StatusPending (plan and drift) means the stack cannot be planned yet because an upstream planned
	// in the same run has not created the state it reads; it is planned after that upstream is applied.
	// It is not a failure. Drift reports it as code not applied (StackResult.Unapplied).
	StatusPending Status = "pending"
)

// StackResult is one stack's line in the summary.
type StackResult struct {
	Stack  string `json:"stack"`
	Action Action `json:"action"`
	Status Status `json:"status"`
	// Outcome is a short human word: "no changes", "planned", "applied", "drifted", "in sync",
	// "stale plan", "state locked", "upstream missing", "failed", "skipped".
	Outcome       string `json:"outcome"`
	Add           int    `json:"add"`
	Change        int    `json:"change"`
	Destroy       int    `json:"destroy"`
	OutputChanges int    `json:"output_changes"`
	// Drifted (drift action) means the real infrastructure was changed outside Terraform; DriftChanges
	// lists what (refresh-only plan).
	Drifted      bool     `json:"drifted,omitempty"`
	DriftChanges []string `json:"drift_changes,omitempty"`
	// Unapplied (drift action) means the code differs from the state as last applied: code merged but
	// not applied; Add/Change/Destroy and Changes describe it.
	Unapplied bool          `json:"unapplied,omitempty"`
	Duration  time.Duration `json:"-"`
	// Start is when the stack's action began, counted from the start of the run (Summary.Started): with
	// Duration, the run's timeline (the wait for upstreams and for a parallelism slot shows as gaps).
	Start time.Duration `json:"-"`
	Error string        `json:"error,omitempty"`
	// SkippedBecause names the upstream whose failure skipped this stack.
	SkippedBecause string `json:"skipped_because,omitempty"`
	// Outputs are the stack's outputs (output action); sensitive values are replaced by "(sensitive)".
	Outputs map[string]json.RawMessage `json:"outputs,omitempty"`
	// Selected says why the stack was selected with --changed-since.
	Selected string `json:"selected_because,omitempty"`
	// Changes lists the resource addresses a plan or drift check would change, with the action
	// ("aws_s3_bucket.x: update"), in terraform's order.
	Changes []string `json:"changes,omitempty"`
	// Note is advice that is not an error, e.g. that a plan will go stale once an upstream is applied.
	Note string `json:"note,omitempty"`
	err  error
}

// Err returns the Go error behind a failed result (nil otherwise), for errors.As checks.
func (s StackResult) Err() error { return s.err }

// MarshalJSON adds duration_seconds.
func (s StackResult) MarshalJSON() ([]byte, error) {
	type plain StackResult
	return json.Marshal(struct {
		plain
		DurationSeconds float64 `json:"duration_seconds"`
		StartSeconds    float64 `json:"start_seconds"`
	}{plain(s), round2(s.Duration.Seconds()), round2(s.Start.Seconds())})
}

func round2(f float64) float64 { return float64(int64(f*100+0.5)) / 100 }

// HasChanges reports whether the plan would change anything (resources or outputs).
func (s StackResult) HasChanges() bool {
	return s.Add+s.Change+s.Destroy+s.OutputChanges > 0
}
