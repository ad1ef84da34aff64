package main

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"dagger/delivery/internal/dagger"

	"github.com/platformteam/delivery/pkg/stackrun"
)

// containerExecutor runs the stack engine's terraform invocations in containers. Invocations of one stack
// continue from that stack's previous container, so `init` state (TF_DATA_DIR) carries over to `plan` and
// `apply`; stacks run in parallel, each in its own chain, so their output never interleaves.
type containerExecutor struct {
	base    *dagger.Container // toolbox with credentials and the source at srcRoot
	binary  string
	scratch string // module scratch directory for binary-safe file transfer

	mu     sync.Mutex
	chains map[string]*dagger.Container
	seq    int
}

func newContainerExecutor(base *dagger.Container, binary string) (*containerExecutor, error) {
	// Inside the module's scratch working directory, so files can be loaded with CurrentModule.WorkdirFile.
	scratch, err := os.MkdirTemp(".", "stack-files-")
	if err != nil {
		return nil, fmt.Errorf("scratch directory for stack files: %w", err)
	}
	return &containerExecutor{base: base, binary: binary, scratch: scratch, chains: map[string]*dagger.Container{}}, nil
}

// Run implements stackrun.Executor.
func (e *containerExecutor) Run(ctx context.Context, inv stackrun.Invocation) (stackrun.Result, error) {
	e.mu.Lock()
	ctr, ok := e.chains[inv.Dir]
	if !ok {
		ctr = e.base
	}
	e.seq++
	seq := e.seq
	e.mu.Unlock()

	// Files (generated inputs, saved plans) may be binary: pass them as files, never as strings.
	for _, rel := range sortedKeys(inv.Files) {
		local := filepath.Join(e.scratch, fmt.Sprint(seq), filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(local), 0o700); err != nil {
			return stackrun.Result{}, fmt.Errorf("stage %s: %w", rel, err)
		}
		if err := os.WriteFile(local, inv.Files[rel], 0o600); err != nil {
			return stackrun.Result{}, fmt.Errorf("stage %s: %w", rel, err)
		}
		f := dag.CurrentModule().WorkdirFile(filepath.ToSlash(local))
		ctr = ctr.WithFile(path.Join(srcRoot, rel), f, dagger.ContainerWithFileOpts{Permissions: 0o600})
	}
	ctr = ctr.WithWorkdir(path.Join(srcRoot, inv.Dir)).WithEnvVariable("DELIVERY_STACK", inv.Stack)
	for _, k := range sortedKeys(inv.Env) {
		ctr = ctr.WithEnvVariable(k, inv.Env[k])
	}
	start := time.Now()
	ctr = fresh(ctr).WithExec(append([]string{e.binary}, inv.Args...), dagger.ContainerWithExecOpts{Expect: dagger.ReturnTypeAny})
	code, err := ctr.ExitCode(ctx)
	if err != nil {
		return stackrun.Result{}, fmt.Errorf("run %s %s for %s: %w", e.binary, firstArg(inv.Args), inv.Stack, err)
	}
	stdout, err := ctr.Stdout(ctx)
	if err != nil {
		return stackrun.Result{}, fmt.Errorf("read output of %s: %w", inv.Stack, err)
	}
	stderr, err := ctr.Stderr(ctx)
	if err != nil {
		return stackrun.Result{}, fmt.Errorf("read errors of %s: %w", inv.Stack, err)
	}
	res := stackrun.Result{ExitCode: code, Stdout: []byte(stdout), Stderr: []byte(stderr), Duration: time.Since(start)}
	for _, rel := range inv.Collect {
		local := filepath.Join(e.scratch, fmt.Sprint(seq), "collect", filepath.FromSlash(rel))
		if _, err := ctr.File(path.Join(srcRoot, rel)).Export(ctx, local); err != nil {
			continue // a missing file is left out, as the interface says
		}
		data, err := os.ReadFile(local)
		if err != nil {
			return stackrun.Result{}, fmt.Errorf("collect %s: %w", rel, err)
		}
		if res.Files == nil {
			res.Files = map[string][]byte{}
		}
		res.Files[rel] = data
	}
	e.mu.Lock()
	e.chains[inv.Dir] = ctr
	e.mu.Unlock()
	return res, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func firstArg(args []string) string {
	if len(args) == 0 {
		return ""
	}
	return args[0]
}
