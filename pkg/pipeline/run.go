// Package pipeline records what one pipeline run did — its steps and their durations, the stacks it
// changed, the artifact, and what each deploy changed (old → new) — and renders that record as the run's
// summary: plain text for a terminal, markdown for a step summary, and a report for the CI surface.
package pipeline

import (
	"fmt"
	"time"
)

// Status is the outcome of one step.
type Status string

// Step outcomes.
const (
	StatusOK       Status = "ok"
	StatusNoChange Status = "no change"
	StatusFailed   Status = "failed"
	StatusSkipped  Status = "skipped"
)

// Step is one timed stage of a run.
type Step struct {
	Name     string        `json:"name"`
	Status   Status        `json:"status"`
	Duration time.Duration `json:"duration_ns"`
	Detail   string        `json:"detail,omitempty"`
}

// StackChange is what a plan or apply did to one stack.
type StackChange struct {
	Stack   string `json:"stack"`
	Action  string `json:"action"` // plan, apply, drift
	Add     int    `json:"add"`
	Change  int    `json:"change"`
	Destroy int    `json:"destroy"`
	Status  string `json:"status"`
}

// Changed reports whether the stack had (or would have) any resource change.
func (s StackChange) Changed() bool { return s.Add+s.Change+s.Destroy > 0 }

// Rollout is what a deploy changed on one target, e.g. task definition ARN or Helm revision old → new.
type Rollout struct {
	Target string `json:"target"` // "ecs" or "eks"
	What   string `json:"what"`   // "task definition", "helm revision"
	Old    string `json:"old"`
	New    string `json:"new"`
	// Changed is false when the target already ran the artifact's digest and nothing was deployed.
	Changed bool `json:"changed"`
}

// Image is the one image of the run.
type Image struct {
	Ref       string `json:"ref"` // repository@digest
	Digest    string `json:"digest"`
	CommitSHA string `json:"commit_sha"`
}

// Run is the record of one pipeline run in one environment.
type Run struct {
	Env      string        `json:"env"`
	Steps    []Step        `json:"steps"`
	Stacks   []StackChange `json:"stacks,omitempty"`
	Image    *Image        `json:"image,omitempty"`
	Rollouts []Rollout     `json:"rollouts,omitempty"`
	Verified bool          `json:"verified"`

	now func() time.Time
}

// New starts the record of a run in env.
func New(env string) *Run { return &Run{Env: env, now: time.Now} }

// Step runs fn as a named step, timing it. fn returns a one-line detail and whether it changed anything;
// an error marks the step failed and is returned wrapped with the step's name.
func (r *Run) Step(name string, fn func() (detail string, changed bool, err error)) error {
	now := r.now
	if now == nil {
		now = time.Now
	}
	start := now()
	detail, changed, err := fn()
	st := Step{Name: name, Duration: now().Sub(start), Detail: detail, Status: StatusOK}
	switch {
	case err != nil:
		st.Status = StatusFailed
		if st.Detail == "" {
			st.Detail = err.Error()
		}
	case !changed:
		st.Status = StatusNoChange
	}
	r.Steps = append(r.Steps, st)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// Skip records a step that did not run, with the reason.
func (r *Run) Skip(name, reason string) {
	r.Steps = append(r.Steps, Step{Name: name, Status: StatusSkipped, Detail: reason})
}

// Total is the sum of the step durations.
func (r *Run) Total() time.Duration {
	var d time.Duration
	for _, s := range r.Steps {
		d += s.Duration
	}
	return d
}

// Failed reports whether any step failed.
func (r *Run) Failed() bool {
	for _, s := range r.Steps {
		if s.Status == StatusFailed {
			return true
		}
	}
	return false
}

// Changed reports whether the run changed anything: a stack, or a deploy target.
func (r *Run) Changed() bool {
	for _, s := range r.Stacks {
		if s.Changed() && s.Action == "apply" {
			return true
		}
	}
	for _, ro := range r.Rollouts {
		if ro.Changed {
			return true
		}
	}
	return false
}
