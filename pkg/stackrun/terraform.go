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

// ensureInit runs `terraform init` once per stack per runner (safe to call concurrently).
func (r *Runner) ensureInit(ctx context.Context, id string, log *bytes.Buffer) error {
	r.initMu.Lock()
	o := r.inits[id]
	if o == nil {
		o = &initOnce{}
		r.inits[id] = o
	}
	r.initMu.Unlock()
	o.once.Do(func() {
		p := r.paths(id)
		var initLog bytes.Buffer
		inv := r.invocation(id, "init", "-input=false", "-no-color", "-reconfigure",
			"-backend-config="+p.fromDir(p.backend), "-backend-config=key="+p.key)
		if r.bp.HasLockFile(r.bp.Stacks[id]) {
			// The committed lock file decides the provider versions; init must not change it.
			inv.Args = append(inv.Args, "-lockfile=readonly")
		}
		if r.bp.NeedsProviders(r.bp.Stacks[id]) {
			// terraform does not promise that concurrent inits can share one plugin cache: inits that
			// install providers run one at a time (provider-free inits, plans and applies stay parallel).
			r.providerInitMu.Lock()
			defer r.providerInitMu.Unlock()
		}
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

func (r *Runner) lockTimeoutArg() string {
	return fmt.Sprintf("-lock-timeout=%ds", int(r.opts.LockTimeout.Seconds()))
}
