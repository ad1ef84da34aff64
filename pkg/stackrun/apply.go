package stackrun

import (
	"bytes"
	"context"
)

// Apply applies every selected stack in dependency order. A stack with a saved plan applies exactly that
// plan after checking its fingerprint (files, inputs, backend, upstream outputs); a stale plan is refused
// and nothing is applied to that stack. A stack without a saved plan is planned first, then applied.
func (r *Runner) Apply(ctx context.Context) *Summary {
	return r.runAll(ctx, ActionApply, r.applyStack)
}

func (r *Runner) applyStack(ctx context.Context, id string, log *bytes.Buffer) StackResult {
	var res StackResult
	saved, binary, err := r.loadSaved(id)
	if err != nil {
		return failed(res, err)
	}
	var counts changeCounts
	if saved != nil {
		counts = changeCounts{add: saved.Add, change: saved.Change, destroy: saved.Destroy, outputs: saved.OutputChanges}
		counts.into(&res)
		if err := r.checkFresh(ctx, id, saved, log); err != nil {
			return failed(res, err)
		}
		log.WriteString("applying the saved plan from " + r.savedPlanDir(id) + "\n")
	} else {
		fp, err := r.makePlan(ctx, id, log)
		if err != nil {
			return failed(res, err)
		}
		counts, binary = fp.counts, fp.binary
		counts.into(&res)
	}
	if !counts.any() {
		res.Outcome = "no changes"
		if saved != nil {
			if err := r.discardSaved(id); err != nil {
				return failed(res, err)
			}
		}
		return res
	}
	if err := r.ensureInit(ctx, id, log); err != nil {
		return failed(res, err)
	}
	p := r.paths(id)
	planPath := p.workFile(planFile)
	inv := r.invocation(id, append([]string{"apply", "-input=false", "-no-color"}, append(r.lockArgs(), p.fromDir(planPath))...)...)
	inv.Files = map[string][]byte{planPath: binary}
	if _, err := r.run(ctx, log, inv); err != nil {
		return failed(res, err)
	}
	if saved != nil {
		if err := r.discardSaved(id); err != nil {
			return failed(res, err)
		}
	}
	res.Outcome = "applied"
	return res
}

// checkFresh refuses a saved plan whose inputs changed: stack or module files, tfvars, backend, or the
// outputs of an upstream stack it read (compared with that stack's current outputs).
func (r *Runner) checkFresh(ctx context.Context, id string, saved *SavedPlan, log *bytes.Buffer) error {
	cur, err := r.localFingerprint(id)
	if err != nil {
		return err
	}
	for _, up := range sortedKeys(saved.Fingerprint.Upstreams) {
		outs, err := r.currentOutputs(ctx, up, log)
		if err != nil {
			return err
		}
		if cur.Upstreams[up], err = outputsDigestOf(outs); err != nil {
			return err
		}
	}
	if diffs := saved.Fingerprint.Differences(cur); len(diffs) > 0 {
		return &StalePlanError{Stack: id, Reasons: diffs}
	}
	return nil
}
