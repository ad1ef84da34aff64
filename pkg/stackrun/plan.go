package stackrun

import (
	"bytes"
	"context"
)

// Plan plans every selected stack and saves plan.tfplan + plan.json + plan.meta.json per stack, bound to
// a fingerprint of its inputs. A stack whose plan fails stops its dependents.
func (r *Runner) Plan(ctx context.Context) *Summary {
	return r.runAll(ctx, ActionPlan, r.planStack)
}

func (r *Runner) planStack(ctx context.Context, id string, log *bytes.Buffer) StackResult {
	var res StackResult
	fp, err := r.makePlan(ctx, id, log)
	if err != nil {
		return failed(res, err)
	}
	fp.counts.into(&res)
	print, err := r.localFingerprint(id)
	if err != nil {
		return failed(res, err)
	}
	print.Upstreams = fp.upstream
	if res.PlanDir, err = r.save(id, fp, print); err != nil {
		return failed(res, err)
	}
	res.Outcome = "planned"
	if !fp.counts.any() {
		res.Outcome = "no changes"
	}
	return res
}

// failed marks a result failed with an outcome named after the error's kind.
func failed(res StackResult, err error) StackResult {
	res.Status, res.err = StatusFailed, err
	res.Outcome = outcomeOf(err)
	return res
}
