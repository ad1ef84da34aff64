// Package pipeline runs the deploy — the step order, the skip rules, what counts as changed, the
// policy for a split result, the exit code — behind a small interface (Stages) that the Dagger module
// implements with containers and the tests implement with fakes. It records what the run did (Run) and
// renders that record, and the stack engine's summaries, in the pipeline's three formats (Render).
package pipeline

import (
	"time"

	"github.com/platformteam/delivery/pkg/artifact"
	"github.com/platformteam/delivery/pkg/release/api"
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

// Step names, in the order a deploy runs them.
const (
	StepInfra      = "infra"
	StepPublish    = "publish"
	StepPromote    = "promote"
	StepDeployECS  = "deploy-ecs"
	StepDeployEKS  = "deploy-eks"
	StepRestoreECS = "restore-ecs"
	StepRestoreEKS = "restore-eks"
	StepVerify     = "verify"
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

// Rollout is what the run did on one target, including what the split-result policy did to it.
type Rollout struct {
	api.Rollout
	// Restored is set when the pipeline put this target back on its previous version because the other
	// target's deploy failed; RestoreError when that did not work.
	Restored     bool   `json:"restored,omitempty"`
	RestoreError string `json:"restore_error,omitempty"`
}

// Changed reports whether the target runs something else than before the run.
func (r Rollout) Changed() bool { return r.Outcome == api.Deployed && !r.Restored }

// Running is what the target runs at the end of the run: an image (repository@digest), or, when that
// is not known, a description of the state.
func (r Rollout) Running() string {
	switch {
	case r.Outcome == api.Deployed && !r.Restored, r.Outcome == api.Unchanged:
		return r.Image
	case r.Outcome == api.Failed, r.RestoreError != "":
		return "unknown: " + r.What + " " + orNone(r.Current) + " (not restored)"
	case r.PreviousImage != "":
		return r.PreviousImage
	}
	return "its previous version (" + r.What + " " + orNone(r.Previous) + ")"
}

// Back reports whether the target runs what it ran before the run.
func (r Rollout) Back() bool {
	switch r.Outcome {
	case api.Deployed:
		return r.Restored
	case api.Failed:
		return false
	}
	return true // unchanged, rolled back, or refused before any change
}

// Run is the record of one deploy in one environment.
type Run struct {
	Env    string        `json:"env"`
	Steps  []Step        `json:"steps"`
	Stacks []StackChange `json:"stacks,omitempty"`
	// Artifact is what was deployed (in the environment's repository); PromotedFrom the image it was
	// copied from when the run promoted it.
	Artifact     *artifact.Artifact `json:"artifact,omitempty"`
	PromotedFrom artifact.Pinned    `json:"promoted_from,omitzero"`
	Rollouts     []Rollout          `json:"rollouts,omitempty"`
	Verified     bool               `json:"verified"`
	// Split says what the split-result policy did ("" when both targets agreed).
	Split string `json:"split,omitempty"`
	// ExitCode is the run's result (api.Exit*); Err its error (nil on success).
	ExitCode int   `json:"exit_code"`
	Err      error `json:"-"`
	// DeployWall is the wall time of the concurrent deploys (ECS ∥ EKS).
	DeployWall time.Duration `json:"deploy_wall_ns"`
	Started    time.Time     `json:"started"`
	Finished   time.Time     `json:"finished"`
	// Masks are values the CI log must hide from here on (the accounts the run touched).
	Masks []string `json:"-"`
}

// Wall is the run's wall time.
func (r *Run) Wall() time.Duration { return r.Finished.Sub(r.Started) }

// Failed reports whether any step failed.
func (r *Run) Failed() bool {
	for _, s := range r.Steps {
		if s.Status == StatusFailed {
			return true
		}
	}
	return false
}

// Changed reports whether the run changed anything: a stack applied with changes, or a target that now
// runs something else.
func (r *Run) Changed() bool {
	for _, s := range r.Stacks {
		if s.Changed() && s.Action == "apply" {
			return true
		}
	}
	for _, ro := range r.Rollouts {
		if ro.Changed() {
			return true
		}
	}
	return false
}

// Rollout is the record of target (nil when it did not run).
func (r *Run) Rollout(t api.Target) *Rollout {
	for i := range r.Rollouts {
		if r.Rollouts[i].Target == t {
			return &r.Rollouts[i]
		}
	}
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
