package stackrun

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"strings"
)

// Apply applies the selected stacks in dependency order.
//
// With Options.Bundle it applies exactly the plans of that bundle and never plans them again: the bundle
// is refused before anything runs when a file does not match its manifest, or it was made at another
// commit or for another environment; a stack is refused (stale) when its files, inputs or backend
// changed, when an upstream's outputs changed outside this run, or when its state moved (terraform
// checks the lineage and serial under the state lock). When an upstream applied in this run changes
// outputs a dependent read, that dependent is planned again after it, and the run says so: outside
// production that re-plan is applied; in production it is not (the stack is reported pending, to be
// planned and reviewed again), so nothing unreviewed is ever applied to production.
//
// Without a bundle it plans each stack after its upstreams were applied and applies that plan: the
// ordered, always-fresh path, refused for a production environment.
func (r *Runner) Apply(ctx context.Context) *Summary {
	if err := r.checkApplyAllowed(); err != nil {
		return &Summary{Environment: r.env.Name, Action: ActionApply, Parallelism: r.opts.Parallelism, Error: err.Error()}
	}
	r.applied = map[string]bool{}
	job := r.applyFresh
	if r.bundle != nil {
		job = r.applyBundled
	}
	sum := r.runAll(ctx, ActionApply, job)
	if r.bundle != nil {
		sum.Bundle = r.opts.Bundle
	}
	return sum
}

// checkApplyAllowed is the production gate: a reviewed bundle and an explicit approval, or nothing.
func (r *Runner) checkApplyAllowed() error {
	if !r.env.Production {
		return nil
	}
	switch {
	case r.bundle == nil:
		return fmt.Errorf("environment %s is production: it applies only a reviewed plan bundle. Run `plan`, review the bundle's summary, then apply that bundle with --bundle DIR --approve; nothing was applied", r.env.Name)
	case !r.opts.Approve:
		return fmt.Errorf("environment %s is production: applying bundle %s (commit %s) needs an explicit approval: pass --approve after reviewing %s/%s; nothing was applied",
			r.env.Name, r.opts.Bundle, r.bundle.Commit, r.opts.Bundle, BundleSummary)
	}
	return nil
}

// applyFresh plans a stack now (its upstreams were applied before it) and applies that plan.
func (r *Runner) applyFresh(ctx context.Context, id string, log *bytes.Buffer) StackResult {
	var res StackResult
	applied, err := r.planAndApply(ctx, id, log, &res)
	switch {
	case err != nil:
		return failed(res, err)
	case !applied:
		res.Outcome = "no changes"
	default:
		res.Outcome = "applied"
	}
	return res
}

// planAndApply plans a stack and, when the plan changes anything, applies exactly that plan file, in
// the same executor run (one container exec with the container executor; the init too on the stack's
// first command): the apply runs only after the plan found changes and `show -json` of that same plan
// file succeeded. The plan's counts go into res. It reports whether the plan was applied.
func (r *Runner) planAndApply(ctx context.Context, id string, log *bytes.Buffer, res *StackResult) (bool, error) {
	apply := r.applyInvocation(id)
	fp, applied, err := r.makePlanThen(ctx, id, log, planNormal, &apply)
	if err != nil {
		return false, err
	}
	fp.counts.into(res)
	if applied == nil {
		if fp.counts.any() || fp.json != nil {
			return false, fmt.Errorf("apply %s: the executor did not run the apply after the plan", id)
		}
		return false, nil
	}
	fmt.Fprintf(log, "$ %s %s\n", r.binaryName(), strings.Join(apply.Args, " "))
	if err := r.finished(log, apply, *applied, true); err != nil {
		return false, err
	}
	r.appliedNow(id, fp.counts.outputs > 0)
	return true, nil
}

// applyBundled applies a stack's plan from the bundle, after checking it still holds.
func (r *Runner) applyBundled(ctx context.Context, id string, log *bytes.Buffer) StackResult {
	var res StackResult
	entry, _ := r.bundle.Stack(id)
	switch entry.Status {
	case BundlePending:
		return r.replan(ctx, id, log, fmt.Sprintf("it could not be planned before %s was applied (first deployment)", entry.PendingOn))
	case BundleNoChanges:
		if ups := r.changedUpstreams(id); len(ups) > 0 {
			return r.replan(ctx, id, log, "upstream "+strings.Join(ups, ", ")+" changed its outputs in this run")
		}
		res.Outcome = "no changes"
		return res
	}
	res.Add, res.Change, res.Destroy, res.OutputChanges, res.Changes = entry.Add, entry.Change, entry.Destroy, entry.OutputChanges, entry.Changes
	cur, err := r.localFingerprint(id)
	if err != nil {
		return failed(res, err)
	}
	var reasons []string
	for _, d := range entry.Fingerprint.Differences(cur) {
		if !strings.HasPrefix(d, "outputs of upstream ") {
			reasons = append(reasons, d)
		}
	}
	if len(reasons) > 0 {
		return failed(res, &StalePlanError{Stack: id, Reasons: reasons})
	}
	var moved []string
	for _, up := range sortedKeys(entry.Fingerprint.Upstreams) {
		d, err := r.currentDigest(ctx, up, log)
		if err != nil {
			return failed(res, err)
		}
		if d == entry.Fingerprint.Upstreams[up] {
			continue
		}
		if !r.appliedHere(up) {
			return failed(res, &StalePlanError{Stack: id, Reasons: []string{"outputs of upstream " + up + " changed since the plan read them, outside this run"}})
		}
		moved = append(moved, up)
	}
	if len(moved) > 0 {
		return r.replan(ctx, id, log, "upstream "+strings.Join(moved, ", ")+" changed the outputs this plan read")
	}
	fmt.Fprintf(log, "applying the reviewed plan of bundle %s (commit %s, planned against state %s)\n", r.opts.Bundle, r.bundle.Commit, entry.State)
	if err := r.applyPlan(ctx, id, log, r.bundlePlans[id], entry.OutputChanges > 0); err != nil {
		return failed(res, err)
	}
	res.Outcome = "applied"
	return res
}

// replan plans a stack again because what it read changed in this run. Outside production the new plan
// is applied; in production it is not: the stack is pending a new plan and review.
func (r *Runner) replan(ctx context.Context, id string, log *bytes.Buffer, why string) StackResult {
	var res StackResult
	if r.env.Production {
		res.Status, res.Outcome = StatusPending, "needs a reviewed plan"
		res.Note = "a new plan is needed because " + why + "; a re-plan is never applied to production unreviewed: run plan, review and apply the new bundle"
		fmt.Fprintln(log, res.Note)
		return res
	}
	fmt.Fprintf(log, "planning again because %s (non-production: the re-plan is applied)\n", why)
	res.Note = "re-planned and applied because " + why
	applied, err := r.planAndApply(ctx, id, log, &res)
	switch {
	case err != nil:
		return failed(res, err)
	case !applied:
		res.Outcome = "no changes"
	default:
		res.Outcome = "re-planned, applied"
	}
	return res
}

// applyInvocation is `apply` of the stack's saved plan file, waiting for the state lock up to
// Options.LockTimeout.
func (r *Runner) applyInvocation(id string) Invocation {
	p := r.paths(id)
	return r.invocation(id, "apply", "-input=false", "-no-color", r.lockTimeoutArg(), p.fromDir(p.privateFile(planFile)))
}

// applyPlan applies a binary plan (a reviewed bundle's).
func (r *Runner) applyPlan(ctx context.Context, id string, log *bytes.Buffer, plan []byte, outputsChange bool) error {
	inv := r.applyInvocation(id)
	inv.Files = map[string][]byte{r.paths(id).privateFile(planFile): plan}
	if _, err := r.runAfterInit(ctx, id, log, inv, true); err != nil {
		return err
	}
	r.appliedNow(id, outputsChange)
	return nil
}

// appliedNow records that a stack was applied in this run: its state and outputs are read again when
// needed.
func (r *Runner) appliedNow(id string, outputsChange bool) {
	r.forgetDigest(id)
	r.stateMu.Lock()
	r.applied[id] = outputsChange
	delete(r.states, id)
	r.stateMu.Unlock()
}

func (r *Runner) appliedHere(id string) bool {
	r.stateMu.Lock()
	defer r.stateMu.Unlock()
	_, ok := r.applied[id]
	return ok
}

// changedUpstreams lists the upstreams applied in this run whose plan changed outputs.
func (r *Runner) changedUpstreams(id string) []string {
	r.stateMu.Lock()
	defer r.stateMu.Unlock()
	var out []string
	for _, up := range r.graph.Upstreams(id) {
		if r.applied[up] {
			out = append(out, up)
		}
	}
	sort.Strings(out)
	return out
}
