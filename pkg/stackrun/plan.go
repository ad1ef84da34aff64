package stackrun

import (
	"bytes"
	"context"
	"errors"
	"strings"

	"github.com/platformteam/delivery/pkg/blueprint"
)

// Plan plans every selected stack and saves plan.tfplan + plan.json + plan.meta.json per stack, bound to
// a fingerprint of its inputs. A stack whose plan fails stops its dependents.
func (r *Runner) Plan(ctx context.Context) *Summary {
	sum := r.runAll(ctx, ActionPlan, r.planStack)
	r.noteStaleAfterUpstreams(sum)
	return sum
}

// pendingOutcome is the outcome of a stack that must wait for an upstream apply before it can be planned.
const pendingOutcome = "pending upstream apply"

func (r *Runner) planStack(ctx context.Context, id string, log *bytes.Buffer) StackResult {
	var res StackResult
	fp, err := r.makePlan(ctx, id, log)
	var missing *UpstreamMissingError
	if errors.As(err, &missing) {
		// The upstream was planned successfully in this run (it had to be, for this stack to start) but
		// has no state yet: a first deployment. That is not this stack's failure.
		if up := r.remoteStateStack(id, missing.Read); up != "" && r.isSelected(up) {
			res.Status, res.Outcome, res.SkippedBecause = StatusPending, pendingOutcome, up
			return res
		}
	}
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

// noteStaleAfterUpstreams tells, for each planned stack, which upstream in the same plan changes its
// outputs: once that upstream is applied this plan is stale and apply will refuse it.
func (r *Runner) noteStaleAfterUpstreams(sum *Summary) {
	for i, res := range sum.Stacks {
		if res.Status != StatusSucceeded {
			continue
		}
		var changing []string
		for _, up := range r.graph.Upstreams(res.Stack) {
			if upRes, ok := sum.Result(up); ok && upRes.OutputChanges > 0 {
				changing = append(changing, up)
			}
		}
		if len(changing) > 0 {
			sum.Stacks[i].Note = "planned against the current outputs of " + strings.Join(changing, ", ") +
				", which this plan changes: apply them first, then plan this stack again (or let apply plan it)"
		}
	}
}

// remoteStateStack maps a terraform_remote_state block name of a stack to the stack it reads.
func (r *Runner) remoteStateStack(id, block string) string {
	for _, rs := range r.bp.Stacks[id].RemoteStates {
		if rs.Name == block {
			up, err := blueprint.ResolveRemoteState(rs)
			if err == nil {
				return up
			}
		}
	}
	return ""
}

func (r *Runner) isSelected(id string) bool {
	for _, s := range r.selected {
		if s == id {
			return true
		}
	}
	return false
}

// failed marks a result failed with an outcome named after the error's kind.
func failed(res StackResult, err error) StackResult {
	res.Status, res.err = StatusFailed, err
	res.Outcome = outcomeOf(err)
	return res
}
