package stackrun

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
)

// sensitiveValue replaces sensitive outputs in logs and summaries.
var sensitiveValue = json.RawMessage(`"(sensitive)"`)

// Outputs reads the outputs of every selected stack from its state. Sensitive values are replaced.
func (r *Runner) Outputs(ctx context.Context) *Summary {
	return r.runAll(ctx, ActionOutput, r.outputStack)
}

func (r *Runner) outputStack(ctx context.Context, id string, log *bytes.Buffer) StackResult {
	var res StackResult
	outs, err := r.currentOutputs(ctx, id, log)
	if err != nil {
		return failed(res, err)
	}
	res.Outputs = map[string]json.RawMessage{}
	log.Reset() // the invocation lines add nothing here; the block shows the values
	for _, name := range sortedKeys(outs) {
		v := outs[name].Value
		if outs[name].Sensitive {
			v = sensitiveValue
		}
		res.Outputs[name] = v
		fmt.Fprintf(log, "%s = %s\n", name, v)
	}
	res.Outcome = fmt.Sprintf("%d outputs", len(outs))
	return res
}

// ForceUnlock removes a stack's state lock left by a run that was killed (LockHeldError names the ID).
// Only for a lock whose holder is gone: terraform does not check that.
func (r *Runner) ForceUnlock(ctx context.Context, stack, lockID string) error {
	id := r.normalizeStackID(stack)
	if !r.graph.Has(id) {
		return fmt.Errorf("stack %s does not exist: known stacks are %v", stack, r.graph.IDs())
	}
	if lockID == "" {
		return fmt.Errorf("no lock ID given: pass the ID the held-lock message printed")
	}
	var log bytes.Buffer
	if err := r.ensureInit(ctx, id, &log); err != nil {
		return fmt.Errorf("%w\n%s", err, log.String())
	}
	if _, err := r.run(ctx, &log, r.invocation(id, "force-unlock", "-force", lockID)); err != nil {
		return fmt.Errorf("%w\n%s", err, log.String())
	}
	fmt.Fprintf(r.opts.Out, "%sunlocked %s (lock %s)\n", log.String(), id, lockID)
	return nil
}
