package pipeline

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/platformteam/delivery/pkg/artifact"
	"github.com/platformteam/delivery/pkg/release/api"
)

// Stages is what a deploy needs from the place it runs. The Dagger module implements it with the
// release engine in containers; the tests implement it with fakes. Every method may be called
// concurrently with the others.
type Stages interface {
	// Infra applies the environment's stacks.
	Infra(ctx context.Context) (Infra, error)
	// Publish builds the commit once and pushes it to the environment's repository, or finds it
	// already published there (a commit is built once).
	Publish(ctx context.Context) (api.Publication, error)
	// Promote copies an artifact verified elsewhere into the environment's repository, by digest.
	Promote(ctx context.Context, from *artifact.Artifact) (api.Publication, error)
	// DeployECS and DeployEKS deploy the artifact. A failed rollout returns the result with an
	// *api.FailedError; any other error means nothing was changed on that target.
	DeployECS(ctx context.Context, art *artifact.Artifact) (api.ECSResult, error)
	DeployEKS(ctx context.Context, art *artifact.Artifact) (api.EKSResult, error)
	// Restore puts a target back on the version it ran before (Rollout.Previous).
	Restore(ctx context.Context, target api.Target, previous string) error
	// Verify checks that both targets run the artifact's digest.
	Verify(ctx context.Context, art *artifact.Artifact) (api.VerifyReport, error)
}

// Infra is what Stages.Infra reports.
type Infra struct {
	Stacks []StackChange
	// Failed is how many stacks failed (the error says which).
	Failed int
}

// Request is one deploy.
type Request struct {
	Env string
	// Production environments deploy only what another environment verified: Artifact is required.
	Production bool
	// Infra applies the stacks first.
	Infra bool
	// Artifact, when set, is promoted (copied by digest into the environment's repository) instead
	// of building: the deploy never builds.
	Artifact *artifact.Artifact
	// Accounts are the AWS accounts the run touches; the report masks them.
	Accounts []string
	// StrictVerify fails the verify step when a check had to fall back (a task without imageDigest, a
	// pod without imageID): AWS reports both, so only the local sandbox may run without it.
	StrictVerify bool
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// ErrProductionNeedsArtifact refuses to build for a production environment.
var ErrProductionNeedsArtifact = errors.New("production deploys only an artifact another environment verified: pass --artifact <artifact.json of the staging deploy>; it is promoted by digest, never rebuilt")

// Deploy runs the deploy and returns its record; Run.ExitCode and Run.Err say how it ended.
//
// Order: infra (with Request.Infra) → publish, or promote (with Request.Artifact) → deploy-ecs ∥
// deploy-eks → verify. A failed step skips everything after it (each skip names the reason); the two
// deploys always both run, concurrently.
//
// Split results: when one target's deploy fails and the other target's deploy changed it, the other
// target is restored to the version it ran before (restore-<target>), so both run the previous digest
// again and the run ends with ExitRolledBack (3). If anything is not back on its previous version — the
// failed target's own rollback failed, or the restore did — the run ends with ExitNotRolledBack (4)
// and the report names what runs where. Verify is then skipped.
func Deploy(ctx context.Context, s Stages, req Request) *Run {
	now := req.Now
	if now == nil {
		now = time.Now
	}
	r := &Run{Env: req.Env, Started: now(), Masks: req.Accounts}
	defer func() { r.Finished = now() }()
	step := func(name string, fn func() (detail string, changed bool, err error)) error {
		start := now()
		detail, changed, err := fn()
		st := Step{Name: name, Duration: now().Sub(start), Detail: detail, Status: StatusOK}
		switch {
		case err != nil:
			st.Status = StatusFailed
			if st.Detail == "" {
				st.Detail = firstLine(err.Error())
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
	skip := func(reason string, names ...string) {
		for _, n := range names {
			r.Steps = append(r.Steps, Step{Name: n, Status: StatusSkipped, Detail: reason})
		}
	}
	fail := func(code int, err error) *Run {
		r.ExitCode, r.Err = code, err
		return r
	}
	first := StepPublish
	if req.Artifact != nil {
		first = StepPromote
	}
	rest := []string{first, StepDeployECS, StepDeployEKS, StepVerify}

	if req.Production && req.Artifact == nil {
		return fail(api.ExitFailed, ErrProductionNeedsArtifact)
	}
	if req.Infra {
		if err := step(StepInfra, func() (string, bool, error) {
			inf, err := s.Infra(ctx)
			r.Stacks = inf.Stacks
			changed := 0
			for _, st := range inf.Stacks {
				if st.Changed() {
					changed++
				}
			}
			if err != nil {
				return fmt.Sprintf("%d of %d stacks failed", inf.Failed, len(inf.Stacks)), changed > 0, err
			}
			return fmt.Sprintf("%d of %d stacks changed", changed, len(inf.Stacks)), changed > 0, nil
		}); err != nil {
			skip(StepInfra+" failed", rest...)
			return fail(api.ExitFailed, err)
		}
	} else {
		skip("not requested (--infra)", StepInfra)
	}

	if err := step(first, func() (string, bool, error) {
		var pub api.Publication
		var err error
		if req.Artifact != nil {
			pub, err = s.Promote(ctx, req.Artifact)
		} else {
			pub, err = s.Publish(ctx)
		}
		if err != nil {
			return "", false, err
		}
		if pub.Artifact == nil {
			return "", false, errors.New("the stage returned no artifact")
		}
		r.Artifact, r.PromotedFrom = pub.Artifact, pub.PromotedFrom
		detail := pub.Artifact.Image.Tagged()
		switch {
		case req.Artifact != nil && pub.Existed:
			detail += " (promoted before)"
		case req.Artifact != nil:
			detail += " (copied from " + req.Artifact.Image.Registry() + ")"
		case pub.Existed:
			detail += " (commit published before: not rebuilt)"
		}
		if pub.Attestation != nil {
			detail += "; " + pub.Attestation.Line()
		}
		return detail, !pub.Existed || (pub.Attestation != nil && pub.Attestation.Changed()), nil
	}); err != nil {
		skip(first+" failed", rest[1:]...)
		return fail(api.ExitFailed, err)
	}
	art := r.Artifact

	// The two targets are independent: deploy them at the same time.
	var ecsRes api.ECSResult
	var eksRes api.EKSResult
	var ecsErr, eksErr error
	var ecsStep, eksStep Step
	var wg sync.WaitGroup
	deployStart := now()
	timed := func(name string, fn func() (string, error), out *Step) {
		defer wg.Done()
		start := now()
		detail, err := fn()
		*out = Step{Name: name, Duration: now().Sub(start), Detail: detail, Status: StatusOK}
		if err != nil {
			out.Status = StatusFailed
			out.Detail = firstLine(err.Error())
		}
	}
	wg.Add(2)
	go timed(StepDeployECS, func() (string, error) {
		ecsRes, ecsErr = s.DeployECS(ctx, art)
		return ecsLine(ecsRes), ecsErr
	}, &ecsStep)
	go timed(StepDeployEKS, func() (string, error) {
		eksRes, eksErr = s.DeployEKS(ctx, art)
		return eksLine(eksRes), eksErr
	}, &eksStep)
	wg.Wait()
	r.DeployWall = now().Sub(deployStart)
	for _, d := range []struct {
		st  *Step
		ro  api.Rollout
		err error
	}{{&ecsStep, ecsRes.Rollout(), ecsErr}, {&eksStep, eksRes.Rollout(), eksErr}} {
		if d.err == nil && d.ro.Outcome == api.Unchanged {
			d.st.Status = StatusNoChange
		}
		if d.ro.Image == "" {
			d.ro.Image = art.Ref()
		}
		r.Steps = append(r.Steps, *d.st)
		r.Rollouts = append(r.Rollouts, Rollout{Rollout: d.ro})
	}

	if ecsErr != nil || eksErr != nil {
		r.split(ctx, s, now, map[api.Target]error{api.ECS: ecsErr, api.EKS: eksErr})
		skip("a deploy failed", StepVerify)
		return r
	}

	if err := step(StepVerify, func() (string, bool, error) {
		rep, err := s.Verify(ctx, art)
		if err == nil {
			err = rep.Err(req.StrictVerify)
		}
		if err != nil {
			return "", true, err
		}
		r.Verified = true
		detail := fmt.Sprintf("%d check(s): ECS and EKS run %s", len(rep.Checks), art.Digest())
		if req.StrictVerify {
			detail += " (strict: every check read from task imageDigest / pod imageID)"
		}
		if len(rep.SupplyChain) > 0 {
			detail += ", " + rep.SupplyChain[0].Summary()
		}
		return detail, true, nil
	}); err != nil {
		if errors.Is(err, api.ErrMismatch) {
			return fail(api.ExitMismatch, err)
		}
		return fail(api.ExitFailed, err)
	}
	return r
}

// split applies the split-result policy after a failed deploy: every target this run changed is
// restored to what it ran before, and the exit code says whether everything is back.
func (r *Run) split(ctx context.Context, s Stages, now func() time.Time, errs map[api.Target]error) {
	var failures []string
	for _, t := range api.Targets {
		if errs[t] != nil {
			failures = append(failures, errs[t].Error())
		}
	}
	for _, t := range api.Targets {
		ro := r.Rollout(t)
		if errs[t] != nil || !ro.Changed() {
			continue
		}
		name := StepRestoreECS
		if t == api.EKS {
			name = StepRestoreEKS
		}
		start := now()
		st := Step{Name: name, Status: StatusOK}
		switch {
		case ro.Previous == "":
			ro.RestoreError = "nothing ran before this deploy (a first install): nothing to restore to"
		default:
			if err := s.Restore(ctx, t, ro.Previous); err != nil {
				ro.RestoreError = err.Error()
			} else {
				ro.Restored = true
			}
		}
		st.Duration = now().Sub(start)
		if ro.Restored {
			st.Detail = fmt.Sprintf("%s back to %s %s: the other target's deploy failed", t, ro.What, ro.Previous)
		} else {
			st.Status, st.Detail = StatusFailed, ro.RestoreError
		}
		r.Steps = append(r.Steps, st)
	}
	back := true
	var where []string
	for _, ro := range r.Rollouts {
		back = back && ro.Back()
		where = append(where, fmt.Sprintf("%s runs %s", ro.Target, ro.Running()))
	}
	r.Split = strings.Join(where, "; ")
	err := fmt.Errorf("deploy failed: %s; now %s", strings.Join(failures, "; "), r.Split)
	if back {
		r.Split = "every target runs its previous version again: " + r.Split
		r.ExitCode, r.Err = api.ExitRolledBack, err
		return
	}
	r.Split = "NOT everything is back on its previous version: " + r.Split
	r.ExitCode, r.Err = api.ExitNotRolledBack, err
}

func ecsLine(r api.ECSResult) string {
	switch r.Outcome {
	case "":
		return ""
	case api.Unchanged:
		return "unchanged, already running " + api.ShortARN(r.PreviousTaskDefinition)
	case api.Deployed:
		return "task definition " + api.ShortARN(r.PreviousTaskDefinition) + " → " + api.ShortARN(r.TaskDefinition)
	}
	return string(r.Outcome) + ": runs " + api.ShortARN(r.RunningTaskDefinition)
}

func eksLine(r api.EKSResult) string {
	ro := r.Rollout()
	switch r.Outcome {
	case "":
		return ""
	case api.Unchanged:
		return "unchanged, release at revision " + ro.Current
	case api.Deployed:
		return "helm revision " + orNone(ro.Previous) + " → " + ro.Created
	}
	return string(r.Outcome) + ": deployed revision " + orNone(ro.Current)
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
