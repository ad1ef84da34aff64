package stackrun

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/platformteam/delivery/pkg/blueprint"
)

// plannedStack is what planning one stack produced, kept until the bundle is written.
type plannedStack struct {
	entry  BundleStack
	binary []byte
	json   []byte
}

// Plan plans every selected stack and writes a plan bundle (see Bundle) to Options.PlanDir: the plans of
// the stacks that change, bound to the commit, their inputs, the states they read and the tool versions.
// A stack whose plan fails stops its dependents. Plans never take the state lock.
func (r *Runner) Plan(ctx context.Context) *Summary {
	r.planned = map[string]*plannedStack{}
	sum := r.runAll(ctx, ActionPlan, r.planStack)
	r.noteStaleAfterUpstreams(sum)
	b := Bundle{Format: BundleFormat, Environment: r.env.Name, Commit: r.opts.Commit, Created: time.Now().UTC(),
		Production: r.env.Production, Binary: r.binaryName()}
	files := map[string][]byte{}
	for _, id := range r.selected {
		ps := r.planned[id]
		if ps == nil {
			continue // failed or skipped: not in the bundle (apply refuses a bundle without it? no: it is simply not applied)
		}
		if b.TerraformVersion == "" {
			b.TerraformVersion = ps.entry.TerraformVersion
		}
		if ps.binary != nil {
			files[ps.entry.Plan], files[ps.entry.PlanJSON] = ps.binary, ps.json
		}
		b.Stacks = append(b.Stacks, ps.entry)
	}
	if sum.Error != "" {
		return sum // refused before any stack ran (the account guard): that reason, not a stack's
	}
	if !sum.OK() {
		sum.Error = "no plan bundle written: a stack failed or was skipped, so the bundle would not cover the selection"
		return sum
	}
	if err := writeBundle(r.opts.PlanDir, b, files, bundleSummary(b, sum)); err != nil {
		sum.Error = err.Error()
		return sum
	}
	sum.Bundle = r.opts.PlanDir
	return sum
}

// pendingOutcome is the outcome of a stack that must wait for an upstream apply before it can be planned.
const pendingOutcome = "pending upstream apply"

func (r *Runner) planStack(ctx context.Context, id string, log *bytes.Buffer) StackResult {
	var res StackResult
	fp, err := r.makePlan(ctx, id, log, planNormal)
	var missing *UpstreamMissingError
	if errors.As(err, &missing) {
		// The upstream was planned successfully in this run (it had to be, for this stack to start) but
		// has no state yet: a first deployment. That is not this stack's failure.
		if up := r.remoteStateStack(id, missing.Read); up != "" && r.isSelected(up) {
			res.Status, res.Outcome, res.SkippedBecause = StatusPending, pendingOutcome, up
			r.recordPlanned(id, &plannedStack{entry: BundleStack{Stack: id, Status: BundlePending, PendingOn: up}})
			return res
		}
	}
	if err != nil {
		return failed(res, err)
	}
	fp.counts.into(&res)
	entry, err := r.bundleEntry(ctx, id, fp, log)
	if err != nil {
		return failed(res, err)
	}
	ps := &plannedStack{entry: entry}
	res.Outcome = "no changes"
	if fp.counts.any() {
		ps.binary, ps.json = fp.binary, fp.json
		res.Outcome = "planned"
	}
	r.recordPlanned(id, ps)
	return res
}

// bundleEntry binds a fresh plan to what it was computed from.
func (r *Runner) bundleEntry(ctx context.Context, id string, fp *freshPlan, log *bytes.Buffer) (BundleStack, error) {
	print, err := r.localFingerprint(id)
	if err != nil {
		return BundleStack{}, err
	}
	print.Upstreams = fp.upstream
	e := BundleStack{Stack: id, Status: BundleNoChanges, Fingerprint: print, State: fp.state, Providers: fp.providers,
		TerraformVersion: fp.parsed.TerraformVersion, Upstreams: map[string]StateVersion{}}
	for _, up := range r.graph.Upstreams(id) {
		if e.Upstreams[up], err = r.stateOf(ctx, up, log); err != nil {
			return e, err
		}
	}
	if fp.counts.any() {
		dir := path.Join(bundleStacksDir, id)
		e.Status, e.Plan, e.PlanJSON = BundlePlanned, path.Join(dir, SavedPlanBinary), path.Join(dir, SavedPlanJSON)
		e.PlanSHA256, e.PlanJSONSHA256 = sum(fp.binary), sum(fp.json)
		e.Add, e.Change, e.Destroy, e.OutputChanges, e.Changes = fp.counts.add, fp.counts.change, fp.counts.destroy, fp.counts.outputs, fp.counts.addresses
	}
	return e, nil
}

// File names of a stack's plan inside a bundle.
const (
	SavedPlanBinary = "plan.tfplan"
	SavedPlanJSON   = "plan.json"
)

func (r *Runner) recordPlanned(id string, ps *plannedStack) {
	r.stateMu.Lock()
	defer r.stateMu.Unlock()
	r.planned[id] = ps
	if ps.entry.Status != BundlePending {
		r.states[id] = ps.entry.State
	}
}

// stateOf returns the lineage and serial of a stack's current state: from its plan when it was planned
// in this run, else from `state pull` (the state itself never leaves the executor's sealed result).
func (r *Runner) stateOf(ctx context.Context, id string, log *bytes.Buffer) (StateVersion, error) {
	r.stateMu.Lock()
	st, ok := r.states[id]
	r.stateMu.Unlock()
	if ok {
		return st, nil
	}
	res, err := r.runAfterInit(ctx, id, log, r.invocation(id, "state", "pull"), false)
	if err != nil {
		return st, err
	}
	if raw := bytes.TrimSpace(res.Stdout); len(raw) > 0 {
		if err := json.Unmarshal(raw, &st); err != nil {
			return st, fmt.Errorf("read the state of %s: %w", id, err)
		}
	}
	r.stateMu.Lock()
	r.states[id] = st
	r.stateMu.Unlock()
	return st, nil
}

// noteStaleAfterUpstreams tells, for each planned stack, which upstream in the same plan changes its
// outputs: once that upstream is applied, this stack is planned again (see Apply).
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
				", which this plan changes: apply plans this stack again after them" + r.replanPolicy()
		}
	}
}

// replanPolicy says what happens to a re-plan in this environment.
func (r *Runner) replanPolicy() string {
	if r.env.Production {
		return " and does not apply that re-plan (production: it needs its own review)"
	}
	return " and applies that re-plan"
}

// remoteStateStack maps a terraform_remote_state block name of a stack to the stack it reads.
func (r *Runner) remoteStateStack(id, block string) string {
	st := r.bp.Stacks[id]
	for _, rs := range st.RemoteStates {
		if rs.Name == block {
			if read := blueprint.ReadRemoteState(st.Config, rs, r.bp.HasStack); read.Edge(id, r.bp.HasStack) {
				return read.Stack
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
