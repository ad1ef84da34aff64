// Package stackrun runs terraform over a blueprint's stacks: init/plan/apply/drift/output per stack and
// environment, eagerly in dependency order with a parallelism cap, with saved plans bound to their inputs,
// per-stack output printed as one block, and JSON/markdown summaries.
//
// Where terraform runs is behind Executor: LocalExecutor runs a process on this machine; the Dagger
// module runs the same invocations in a container. The runner never touches the executor's file system
// directly: files go in through Invocation.Files and come back through Invocation.Collect.
package stackrun

import (
	"context"
	"time"
)

// Invocation is one terraform command for one stack. Every field is plain data so it can be serialized
// and replayed in a container. Paths are slash-separated and relative to the workspace root (the
// repository checkout), which the executor provides (host directory or container mount).
type Invocation struct {
	// Stack is the stack id ("shared/vpc"), for labels only.
	Stack string `json:"stack"`
	// Dir is the stack directory; terraform runs with it as its working directory.
	Dir string `json:"dir"`
	// Args follow the terraform binary, e.g. ["plan", "-input=false", ...]. Paths inside are relative to Dir.
	Args []string `json:"args"`
	// Env adds environment variables (TF_DATA_DIR, TF_IN_AUTOMATION, ...). Values relative to Dir.
	Env map[string]string `json:"env,omitempty"`
	// Files are written (0600, parents created) before terraform starts: generated inputs, saved plans.
	Files map[string][]byte `json:"files,omitempty"`
	// Collect lists files to read back after terraform exits (missing ones are left out of Result.Files).
	Collect []string `json:"collect,omitempty"`
	// Then (optional) runs right after this command, in the same place and with this command's files
	// still there, when this one exits with one of ThenOn's codes; its result is Result.Then. Then may
	// have a Then of its own: executors run the whole chain as one unit (one container exec), e.g.
	// `init`, then `plan -out`, then `show -json` of that plan.
	Then   *Invocation `json:"then,omitempty"`
	ThenOn []int       `json:"then_on,omitempty"`
}

// Result is what an invocation produced. A non-zero exit is not an error: it is in ExitCode.
type Result struct {
	ExitCode int               `json:"exit_code"`
	Stdout   []byte            `json:"stdout"`
	Stderr   []byte            `json:"stderr"`
	Files    map[string][]byte `json:"files,omitempty"`
	Duration time.Duration     `json:"duration"`
	// Then is the result of Invocation.Then when it ran.
	Then *Result `json:"then,omitempty"`
}

// Executor runs invocations. Run returns an error only when terraform could not be run at all (binary
// missing, workspace unreadable, context cancelled before start); it must be safe for concurrent use.
type Executor interface {
	Run(ctx context.Context, inv Invocation) (Result, error)
}

// LastRun is the invocation of inv's chain (Then) whose result is the last one in res: the command that
// was running when the chain stopped (named when it was interrupted).
func LastRun(inv Invocation, res Result) Invocation {
	for inv.Then != nil && res.Then != nil {
		inv, res = *inv.Then, *res.Then
	}
	return inv
}
