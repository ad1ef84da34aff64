// Package api is the typed contract between the Dagger edge (ci/) and the release engine
// (cmd/release, pkg/release): what goes in (a Job: the environment resolved once, and the artifact)
// and what comes out (one result type per command), as JSON of these structs on both sides. Decoding
// is strict: an unknown field, a wrong type or trailing data is an error, never a silently empty result.
//
// It is a leaf package (no AWS, Helm or Kubernetes dependencies) so the Dagger module can import it.
package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/platformteam/delivery/pkg/addrmap"
	"github.com/platformteam/delivery/pkg/artifact"
	"github.com/platformteam/delivery/pkg/environment"
)

// Target is a runtime the one image is deployed to.
type Target string

// The two targets.
const (
	ECS Target = "ecs"
	EKS Target = "eks"
)

// Targets are the targets in the order reports list them.
var Targets = []Target{ECS, EKS}

// Outcome is what a deploy did on one target. ECS and EKS deploys share it.
type Outcome string

// Outcomes of a deploy.
const (
	// Deployed: the new version rolled out completely.
	Deployed Outcome = "deployed"
	// Unchanged: the target already ran this image (and chart and values); nothing was changed.
	Unchanged Outcome = "unchanged"
	// RolledBack: the new version failed and the previous one was restored.
	RolledBack Outcome = "rolled-back"
	// Failed: the new version failed and the previous one was NOT restored.
	Failed Outcome = "failed"
)

// Exit codes of the release engine and of the pipeline's deploy. Pipelines branch on them, so they
// never change meaning.
const (
	ExitOK = 0
	// ExitFailed: failed before or without a rollout verdict (bad input, API errors).
	ExitFailed = 1
	// ExitUsage: unknown command or bad flags.
	ExitUsage = 2
	// ExitRolledBack: a deploy failed and every target was restored to the version it ran before.
	ExitRolledBack = 3
	// ExitNotRolledBack: a deploy failed and something was NOT restored: needs attention now.
	ExitNotRolledBack = 4
	// ExitMismatch: verify found something running that is not the artifact's digest.
	ExitMismatch = 5
)

// FailedError is a deploy that did not complete, on either target. Outcome says whether the previous
// version was restored (RolledBack) or not (Failed).
type FailedError struct {
	Target  Target
	Outcome Outcome
	// Cause is why the new version failed.
	Cause error
	// RestoreErr is set when restoring the previous version was attempted and failed.
	RestoreErr error
	// Running says what runs now, e.g. "task definition demo-app:7" or "helm revision 6".
	Running string
	// Hint tells the user what to do next when the target was not restored.
	Hint string
}

func (e *FailedError) Error() string {
	switch {
	case e.Outcome == RolledBack:
		return fmt.Sprintf("%s deploy failed: %v; rolled back: %s runs again", e.Target, e.Cause, e.Running)
	case e.RestoreErr != nil:
		return fmt.Sprintf("%s deploy failed: %v; restoring the previous version also failed: %v; %s runs now: %s",
			e.Target, e.Cause, e.RestoreErr, e.Running, e.Hint)
	default:
		return fmt.Sprintf("%s deploy failed and was NOT rolled back: %v; %s runs now: %s", e.Target, e.Cause, e.Running, e.Hint)
	}
}

func (e *FailedError) Unwrap() error { return e.Cause }

// RolledBack reports whether the previous version was restored.
func (e *FailedError) RolledBack() bool { return e.Outcome == RolledBack }

// ExitCode is ExitRolledBack or ExitNotRolledBack.
func (e *FailedError) ExitCode() int {
	if e.RolledBack() {
		return ExitRolledBack
	}
	return ExitNotRolledBack
}

// Job is what the Dagger edge hands the release engine for one command: the environment resolved once
// (delivery.yaml plus every override, e.g. --region) and, for the commands that take one, the artifact.
type Job struct {
	Environment *environment.Environment `json:"environment"`
	Artifact    *artifact.Artifact       `json:"artifact,omitempty"`
	// Twin is the sandbox twin of the environment's account the run goes to (none: the account itself).
	Twin *environment.Twin `json:"twin,omitempty"`
	// Dial maps the addresses the engine dials to where it reaches them (pkg/addrmap).
	Dial addrmap.Map `json:"dial,omitempty"`
}

// Validate checks the job the engine received (the environment is validated as delivery.yaml is).
func (j Job) Validate() error {
	if j.Environment == nil {
		return errors.New("job has no environment")
	}
	if err := j.Environment.Validate(); err != nil {
		return fmt.Errorf("job environment %s: %w", j.Environment.Name, err)
	}
	if err := environment.CheckName(j.Environment.Name); err != nil {
		return fmt.Errorf("job environment: %w", err)
	}
	if j.Twin != nil {
		if err := j.Twin.Matches(j.Environment); err != nil {
			return fmt.Errorf("job: %w", err)
		}
	}
	if err := j.Dial.Validate(); err != nil {
		return fmt.Errorf("job: %w", err)
	}
	return nil
}

// ReadJob reads and validates a job file.
func ReadJob(path string) (Job, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return Job{}, fmt.Errorf("read job %s: %w", path, err)
	}
	j, err := Decode[Job](raw)
	if err != nil {
		return Job{}, fmt.Errorf("job %s: %w", path, err)
	}
	if err := j.Validate(); err != nil {
		return Job{}, err
	}
	return j, nil
}

// Decode reads exactly one JSON document of type T: unknown fields, wrong types and trailing data are
// errors. Both sides of the contract use it.
func Decode[T any](raw []byte) (T, error) {
	var v T
	if len(bytes.TrimSpace(raw)) == 0 {
		return v, fmt.Errorf("decode %T: empty document", v)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return v, fmt.Errorf("decode %T: %w", v, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return v, fmt.Errorf("decode %T: trailing data after the document", v)
	}
	return v, nil
}
