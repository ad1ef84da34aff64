package stackrun

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
)

// Generated file names inside a stack's work dir.
const (
	inputsFile = "inputs.tfvars.json"
	planFile   = "plan.tfplan"
)

// invocation builds the common part of every terraform call for a stack.
func (r *Runner) invocation(id string, args ...string) Invocation {
	p := r.paths(id)
	return Invocation{
		Stack: id,
		Dir:   p.dir,
		Args:  args,
		Env: map[string]string{
			"TF_DATA_DIR":      p.fromDir(p.workFile(".terraform")),
			"TF_IN_AUTOMATION": "1",
			"TF_INPUT":         "0",
		},
	}
}

// run executes an invocation, appends its output to the stack's log, and turns a non-zero exit into an
// error that names the cause when terraform's message is a known one (lock held, upstream missing, ...).
func (r *Runner) run(ctx context.Context, log *bytes.Buffer, inv Invocation, okCodes ...int) (Result, error) {
	return r.runLogged(ctx, log, inv, true, okCodes...)
}

// runQuiet is run without copying stdout to the log (JSON documents that may hold sensitive values).
func (r *Runner) runQuiet(ctx context.Context, log *bytes.Buffer, inv Invocation, okCodes ...int) (Result, error) {
	return r.runLogged(ctx, log, inv, false, okCodes...)
}

func (r *Runner) runLogged(ctx context.Context, log *bytes.Buffer, inv Invocation, logStdout bool, okCodes ...int) (Result, error) {
	fmt.Fprintf(log, "$ %s %s\n", r.binaryName(), strings.Join(inv.Args, " "))
	res, err := r.exec.Run(ctx, inv)
	if err != nil {
		log.Write(res.Stderr)
		return res, err
	}
	return res, r.finished(log, inv, res, logStdout, okCodes...)
}

// finished logs a result and turns a non-zero exit (other than okCodes) into an error that names the
// cause when terraform's message is a known one (lock held, upstream missing, ...).
func (r *Runner) finished(log *bytes.Buffer, inv Invocation, res Result, logStdout bool, okCodes ...int) error {
	if logStdout {
		log.Write(res.Stdout)
	}
	log.Write(res.Stderr)
	if res.ExitCode == 0 || slices.Contains(okCodes, res.ExitCode) {
		return nil
	}
	return r.classify(inv, res)
}

func (r *Runner) binaryName() string {
	if b := r.binary(); strings.Contains(b, "tofu") {
		return "tofu"
	}
	return "terraform"
}

// initOnceFor is the stack's init record (safe to call concurrently).
func (r *Runner) initOnceFor(id string) *initOnce {
	r.initMu.Lock()
	defer r.initMu.Unlock()
	o := r.inits[id]
	if o == nil {
		o = &initOnce{}
		r.inits[id] = o
	}
	return o
}

// initInvocation is the stack's `terraform init` against its backend (state key of this environment).
func (r *Runner) initInvocation(id string) Invocation {
	p := r.paths(id)
	inv := r.invocation(id, "init", "-input=false", "-no-color", "-reconfigure",
		"-backend-config="+p.fromDir(p.backend), "-backend-config=key="+p.key)
	if r.bp.HasLockFile(r.bp.Stacks[id]) {
		// The committed lock file decides the provider versions; init must not change it.
		inv.Args = append(inv.Args, "-lockfile=readonly")
	}
	return inv
}

// ensureInit runs `terraform init` once per stack per runner (safe to call concurrently).
func (r *Runner) ensureInit(ctx context.Context, id string, log *bytes.Buffer) error {
	o := r.initOnceFor(id)
	o.once.Do(func() {
		inv := r.initInvocation(id)
		if r.bp.NeedsProviders(r.bp.Stacks[id]) {
			// terraform does not promise that concurrent inits can share one plugin cache: inits that
			// install providers run one at a time (provider-free inits, plans and applies stay parallel).
			r.providerInitMu.Lock()
			defer r.providerInitMu.Unlock()
		}
		var initLog bytes.Buffer
		_, o.err = r.run(ctx, &initLog, inv)
		if o.err != nil {
			o.log = initLog.Bytes()
			o.err = fmt.Errorf("init %s: %w", id, o.err)
		}
	})
	if o.err != nil {
		log.Write(o.log) // init output is only worth showing when it failed
	}
	return o.err
}

// runAfterInit runs inv for stack id once the stack is initialized, like run (runQuiet without
// logStdout). When inv is the stack's first command in this run and its init installs no providers,
// the init runs in the same executor run right before inv, and inv only when the init succeeded: one
// container exec instead of two with the container executor. Inits that install providers keep their
// own run, one at a time (see ensureInit).
func (r *Runner) runAfterInit(ctx context.Context, id string, log *bytes.Buffer, inv Invocation, logStdout bool, okCodes ...int) (Result, error) {
	if !r.bp.NeedsProviders(r.bp.Stacks[id]) {
		o := r.initOnceFor(id)
		var res Result
		var err error
		chained := false
		o.once.Do(func() {
			chained = true
			res, err = r.initThen(ctx, id, o, log, inv, logStdout, okCodes...)
		})
		if chained {
			return res, err
		}
	}
	if err := r.ensureInit(ctx, id, log); err != nil {
		return Result{}, err
	}
	return r.runLogged(ctx, log, inv, logStdout, okCodes...)
}

// initThen runs the stack's init with inv chained after it (exit code 0), records the init's outcome in
// o, and returns inv's result.
func (r *Runner) initThen(ctx context.Context, id string, o *initOnce, log *bytes.Buffer, inv Invocation, logStdout bool, okCodes ...int) (Result, error) {
	init := r.initInvocation(id)
	init.Then, init.ThenOn = &inv, []int{0}
	var initLog bytes.Buffer
	fmt.Fprintf(&initLog, "$ %s %s\n", r.binaryName(), strings.Join(init.Args, " "))
	res, err := r.exec.Run(ctx, init)
	if res.Then == nil { // the init failed or did not run, so inv did not run either
		switch {
		case err != nil:
			initLog.Write(res.Stderr)
		default:
			if err = r.finished(&initLog, init, res, true); err == nil {
				err = fmt.Errorf("the executor did not run %s %s after init", r.binaryName(), firstArg(inv.Args))
			}
		}
		o.err, o.log = fmt.Errorf("init %s: %w", id, err), initLog.Bytes()
		log.Write(o.log)
		return Result{}, o.err
	}
	// The init succeeded (inv ran on its exit code 0); its output is not worth showing.
	fmt.Fprintf(log, "$ %s %s\n", r.binaryName(), strings.Join(inv.Args, " "))
	then := *res.Then
	if err != nil {
		log.Write(then.Stderr)
		return then, err
	}
	return then, r.finished(log, inv, then, logStdout, okCodes...)
}

func (r *Runner) lockTimeoutArg() string {
	return fmt.Sprintf("-lock-timeout=%ds", int(r.opts.LockTimeout.Seconds()))
}
