package stackrun

import (
	"bytes"
	"context"
)

// Drift runs `plan -detailed-exitcode` (without taking the state lock, nothing is saved) over the
// selected stacks; a stack whose plan is not empty has drifted. Summary.Drifted lists them.
func (r *Runner) Drift(ctx context.Context) *Summary {
	return r.runAll(ctx, ActionDrift, r.driftStack)
}

func (r *Runner) driftStack(ctx context.Context, id string, log *bytes.Buffer) StackResult {
	var res StackResult
	fp, err := r.makePlan(ctx, id, log, "-lock=false")
	if err != nil {
		return failed(res, err)
	}
	fp.counts.into(&res)
	res.Drifted = fp.counts.any()
	res.Outcome = "in sync"
	if res.Drifted {
		res.Outcome = "drifted"
	}
	return res
}
