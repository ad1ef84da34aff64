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
