package stackrun

import (
	"bytes"
	"context"
	"errors"
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
	if up := r.unappliedUpstream(id, err); up != "" {
		// A partly applied environment (a first deployment under way, a production that applies one
		// reviewed bundle at a time): this stack reads the state of an upstream never applied, so
		// nothing of it can be compared, and its code cannot be applied before the upstream's. That is
		// unapplied code to report, not a failure that would hide the stacks after it.
		pendingDrift(&res, up)
		return res
	}
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

// unappliedUpstream is the stack whose missing state made err (a remote state read of id), or "".
func (r *Runner) unappliedUpstream(id string, err error) string {
	var missing *UpstreamMissingError
	if !errors.As(err, &missing) {
		return ""
	}
	return r.remoteStateStack(id, missing.Read)
}

// pendingDrift marks a drift result as code not applied, pending upstream: the stack reads the state
// of an upstream never applied (or downstream of one), so it can only be applied after it.
func pendingDrift(res *StackResult, upstream string) {
	res.Status, res.Unapplied, res.SkippedBecause = StatusPending, true, upstream
	res.Outcome = "unapplied code (" + upstream + " not applied yet)"
}
