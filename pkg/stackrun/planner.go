package stackrun

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	tfjson "github.com/hashicorp/terraform-json"
)

// freshPlan is a plan just computed in a stack's work dir.
type freshPlan struct {
	binary   []byte // plan.tfplan (nil when the plan has no changes and was not kept)
	json     []byte // `show -json` of it (nil without changes)
	parsed   *tfjson.Plan
	counts   changeCounts
	upstream map[string]string // stack -> digest of outputs read
	state    StateVersion      // the state the plan was computed against
	// providers are the provider versions in the plan's dependency lock.
	providers map[string]string
}

type changeCounts struct {
	add, change, destroy, outputs int
	addresses                     []string
}

func (c changeCounts) into(res *StackResult) {
	res.Add, res.Change, res.Destroy, res.OutputChanges = c.add, c.change, c.destroy, c.outputs
	res.Changes = c.addresses
}

func (c changeCounts) any() bool { return c.add+c.change+c.destroy+c.outputs > 0 }

// planMode is the kind of plan made.
type planMode int

const (
	// planNormal is the plan that may be applied (no state lock: the apply checks the state it read).
	planNormal planMode = iota
	// planRefreshOnly compares the real infrastructure with the state: changes made outside Terraform.
	planRefreshOnly
	// planNoRefresh compares the code with the state as last applied: code merged but not applied.
	planNoRefresh
)

// makePlan runs `plan -detailed-exitcode -out` then, when the plan changes anything, `show -json`. Plans
// never take the state lock (a PR plan must not block an apply); an apply of the plan is refused by
// terraform when the state moved in between.
func (r *Runner) makePlan(ctx context.Context, id string, log *bytes.Buffer, mode planMode) (*freshPlan, error) {
	fp, _, err := r.makePlanThen(ctx, id, log, mode, nil)
	return fp, err
}

// makePlanThen is makePlan with after (optional) chained in the same executor run after `show -json`
// succeeded, i.e. only when the plan changes anything; its result is returned when it ran (nil otherwise),
// not yet checked.
func (r *Runner) makePlanThen(ctx context.Context, id string, log *bytes.Buffer, mode planMode, after *Invocation) (*freshPlan, *Result, error) {
	p := r.paths(id)
	inputs, planPath := p.privateFile(inputsFile), p.privateFile(planFile)
	args := []string{"plan", "-input=false", "-no-color", "-detailed-exitcode", "-lock=false",
		"-var-file=" + p.fromDir(inputs), "-out=" + p.fromDir(planPath)}
	switch mode {
	case planRefreshOnly:
		args = append(args, "-refresh-only")
	case planNoRefresh:
		args = append(args, "-refresh=false")
	}
	inv := r.invocation(id, args...)
	inv.Files = map[string][]byte{inputs: r.inputs[id]}
	inv.Collect = []string{planPath}
	// `show -json` of the plan in the same executor run, only when the plan changes anything.
	show := r.invocation(id, "show", "-json", "-no-color", p.fromDir(planPath))
	inv.Then, inv.ThenOn = &show, []int{2}
	if after != nil {
		show.Then, show.ThenOn = after, []int{0}
	}
	res, err := r.runAfterInit(ctx, id, log, inv, true, 2)
	if err != nil {
		return nil, nil, err
	}
	fp := &freshPlan{binary: res.Files[planPath], upstream: map[string]string{}, parsed: &tfjson.Plan{}}
	if fp.binary == nil {
		return nil, nil, fmt.Errorf("plan %s: terraform reported success but wrote no %s", id, planPath)
	}
	if fp.state, fp.providers, fp.parsed.TerraformVersion, err = planFacts(fp.binary); err != nil {
		return nil, nil, fmt.Errorf("plan %s: %w", id, err)
	}
	if res.ExitCode == 0 {
		return fp, nil, nil // no changes: nothing to show, nothing to apply
	}
	if res.Then == nil {
		return nil, nil, fmt.Errorf("plan %s: the executor did not run `show -json` after the plan", id)
	}
	fmt.Fprintf(log, "$ %s %s\n", r.binaryName(), strings.Join(show.Args, " "))
	if err := r.finished(log, show, *res.Then, false); err != nil {
		return nil, nil, err
	}
	fp.json = res.Then.Stdout
	if err := json.Unmarshal(fp.json, fp.parsed); err != nil {
		return nil, nil, fmt.Errorf("read plan JSON of %s (is the binary terraform/tofu ≥ 1.0?): %w", id, err)
	}
	fp.counts = countChanges(fp.parsed, mode == planRefreshOnly)
	fp.upstream = r.upstreamReads(fp.parsed)
	return fp, res.Then.Then, nil
}

// countChanges counts resource actions the way terraform's plan line does (a replace is +1 and -1). For a
// refresh-only plan it counts the changes made outside Terraform (resource_drift) instead.
func countChanges(p *tfjson.Plan, drift bool) changeCounts {
	var c changeCounts
	changes := p.ResourceChanges
	if drift {
		changes = p.ResourceDrift
	}
	for _, rc := range changes {
		if rc.Change == nil {
			continue
		}
		a := rc.Change.Actions
		verb := ""
		switch {
		case a.Replace():
			c.add++
			c.destroy++
			verb = "replace"
		case a.Create():
			c.add++
			verb = "create"
		case a.Update():
			c.change++
			verb = "update"
		case a.Delete():
			c.destroy++
			verb = "destroy"
		}
		if verb != "" {
			c.addresses = append(c.addresses, rc.Address+": "+verb)
		}
	}
	for _, oc := range p.OutputChanges {
		if oc != nil && !oc.Actions.NoOp() {
			c.outputs++
		}
	}
	return c
}

// upstreamReads returns, per upstream stack, the digest of the outputs the plan read through
// terraform_remote_state (from the plan's prior state).
func (r *Runner) upstreamReads(p *tfjson.Plan) map[string]string {
	out := map[string]string{}
	if p.PriorState == nil || p.PriorState.Values == nil || p.PriorState.Values.RootModule == nil {
		return out
	}
	for _, res := range p.PriorState.Values.RootModule.Resources {
		if res.Type != "terraform_remote_state" || res.Mode != tfjson.DataResourceMode {
			continue
		}
		cfg, _ := res.AttributeValues["config"].(map[string]any)
		key, _ := cfg["key"].(string)
		up := r.stackForKey(key)
		if up == "" {
			continue
		}
		outputs, _ := res.AttributeValues["outputs"].(map[string]any)
		if outputs == nil {
			outputs = map[string]any{}
		}
		out[up] = outputsDigest(outputs)
	}
	return out
}

// stackOutput is one entry of `terraform output -json`.
type stackOutput struct {
	Sensitive bool            `json:"sensitive"`
	Type      json.RawMessage `json:"type"`
	Value     json.RawMessage `json:"value"`
}

// currentOutputs reads a stack's outputs from its state (`output -json`).
func (r *Runner) currentOutputs(ctx context.Context, id string, log *bytes.Buffer) (map[string]stackOutput, error) {
	res, err := r.runAfterInit(ctx, id, log, r.invocation(id, "output", "-json", "-no-color"), false)
	if err != nil {
		return nil, err
	}
	outs := map[string]stackOutput{}
	if err := json.Unmarshal(bytes.TrimSpace(res.Stdout), &outs); err != nil {
		return nil, fmt.Errorf("read outputs of %s: %w", id, err)
	}
	return outs, nil
}

// currentDigest is the digest of a stack's current outputs, read once per run unless the stack was
// applied since (then it is read again).
func (r *Runner) currentDigest(ctx context.Context, id string, log *bytes.Buffer) (string, error) {
	r.digestMu.Lock()
	d, ok := r.digests[id]
	r.digestMu.Unlock()
	if ok {
		return d, nil
	}
	outs, err := r.currentOutputs(ctx, id, log)
	if err != nil {
		return "", err
	}
	if d, err = outputsDigestOf(outs); err != nil {
		return "", err
	}
	r.digestMu.Lock()
	r.digests[id] = d
	r.digestMu.Unlock()
	return d, nil
}

// forgetDigest drops a stack's cached output digest (it was just applied).
func (r *Runner) forgetDigest(id string) {
	r.digestMu.Lock()
	delete(r.digests, id)
	r.digestMu.Unlock()
}

// outputsDigestOf hashes current outputs in the same form upstreamReads hashes the plan's reads.
func outputsDigestOf(outs map[string]stackOutput) (string, error) {
	values := map[string]any{}
	for name, o := range outs {
		var v any
		if err := json.Unmarshal(o.Value, &v); err != nil {
			return "", fmt.Errorf("decode output %s: %w", name, err)
		}
		values[name] = v
	}
	return outputsDigest(values), nil
}
