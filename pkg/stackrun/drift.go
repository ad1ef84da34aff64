package stackrun

import (
	"bytes"
	"context"
	"strings"
)

// Drift tells apart, per stack, two different things (neither takes the state lock, nothing is saved):
//
//   - drift: the real infrastructure differs from the state, i.e. something changed outside Terraform
//     (a refresh-only plan finds changes: Summary.Drifted);
//   - unapplied code: the code differs from the state as last applied, i.e. code merged but not applied
//     (a plan with -refresh=false finds changes: Summary.Unapplied).
func (r *Runner) Drift(ctx context.Context) *Summary {
	return r.runAll(ctx, ActionDrift, r.driftStack)
}

func (r *Runner) driftStack(ctx context.Context, id string, log *bytes.Buffer) StackResult {
	var res StackResult
	outside, err := r.makePlan(ctx, id, log, planRefreshOnly)
	if err != nil {
		return failed(res, err)
	}
	res.Drifted, res.DriftChanges = outside.counts.any(), outside.counts.addresses
	code, err := r.makePlan(ctx, id, log, planNoRefresh)
	if err != nil {
		return failed(res, err)
	}
	code.counts.into(&res)
	res.Unapplied = code.counts.any()
	var words []string
	if res.Drifted {
		words = append(words, "drifted")
	}
	if res.Unapplied {
		words = append(words, "unapplied code")
	}
	res.Outcome = strings.Join(words, " + ")
	if res.Outcome == "" {
		res.Outcome = "in sync"
	}
	return res
}
