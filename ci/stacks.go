package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"dagger/delivery/endpoints"
	"dagger/delivery/internal/dagger"

	"github.com/platformteam/delivery/pkg/blueprint"
	"github.com/platformteam/delivery/pkg/environment"
	"github.com/platformteam/delivery/pkg/pipeline"
	"github.com/platformteam/delivery/pkg/stackgraph"
	"github.com/platformteam/delivery/pkg/stackrun"
)

// stackSource is the source as terraform sees it in containers: for a local environment the backend
// endpoints (and so the remote-state settings the engine derives from them) point at the AWS alias; with
// --twin, the twin's declared AWS endpoint in backend.hcl points at the twin's alias.
func (m *Delivery) stackSource(ctx context.Context, env *environment.Environment, twin *twinAccess) (*dagger.Directory, error) {
	if !env.Local() && twin == nil {
		return m.Source, nil
	}
	p := path.Join(environment.Dir, env.Name, "backend.hcl")
	raw, err := m.Source.File(p).Contents(ctx)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	if twin != nil {
		return m.Source.WithNewFile(p, twin.backend(raw)), nil
	}
	return m.Source.WithNewFile(p, strings.ReplaceAll(raw, env.Endpoints.AWS, endpoints.Rebase(env.Endpoints.AWS, awsAlias))), nil
}

// stackRun is the stack engine prepared for one function call: the engine runs here, in the module,
// over a copy of the blueprint; terraform runs in containers through containerExecutor.
type stackRun struct {
	runner *stackrun.Runner
	// ctx is cancelled when a terraform supervisor reports that the run was cancelled (cancel beacon).
	ctx    context.Context
	cancel context.CancelFunc
	// local is the module-side copy of the repository (the runner's root).
	local string
}

// stackOptions are what a function passes to the engine beyond the environment.
type stackOptions struct {
	stacks       []string
	changedFiles *dagger.File
	bundle       *dagger.Directory // apply: the reviewed bundle
	approve      bool
	lockTimeout  time.Duration
}

// stackRunner prepares the stack engine for env.
func (m *Delivery) stackRunner(ctx context.Context, env *environment.Environment, opts stackOptions, out *bytes.Buffer) (*stackRun, error) {
	twin, err := m.twinAccess(ctx, env)
	if err != nil {
		return nil, err
	}
	src, err := m.stackSource(ctx, env, twin)
	if err != nil {
		return nil, err
	}
	// Under the module's working directory: CurrentModule().Workdir can then return the plan bundle.
	local, err := os.MkdirTemp(".", "blueprint-")
	if err != nil {
		return nil, err
	}
	include := []string{environment.Dir + "/", "modules/", "stacks/"}
	if root := path.Clean(env.Terraform.StacksRoot); root != "." {
		include = append(include, root+"/")
	}
	// Terraform needs the blueprint and the environments only: a smaller layer, and a change elsewhere in
	// the repository does not invalidate the stack containers.
	src = src.Filter(dagger.DirectoryFilterOpts{Include: include})
	if _, err := src.Export(ctx, local); err != nil {
		return nil, fmt.Errorf("load the blueprint: %w", err)
	}
	stacks := opts.stacks
	if opts.changedFiles != nil {
		var changed []string
		raw, err := opts.changedFiles.Contents(ctx)
		if err != nil {
			return nil, fmt.Errorf("read --changed-files: %w", err)
		}
		for _, l := range strings.Split(raw, "\n") {
			if l = strings.TrimSpace(l); l != "" {
				changed = append(changed, l)
			}
		}
		affected, err := affectedStacks(local, env, changed)
		if err != nil {
			return nil, err
		}
		if len(affected) == 0 {
			return nil, errNoStacksAffected
		}
		stacks = affected
	}
	bundleDir := ""
	if opts.bundle != nil {
		bundleDir = filepath.Join(local, ".delivery", "bundle-in")
		if _, err := opts.bundle.Export(ctx, bundleDir); err != nil {
			return nil, fmt.Errorf("read --bundle: %w", err)
		}
	}
	commit, err := m.commit(ctx)
	if err != nil {
		return nil, err
	}
	// Terraform and the account guard run in the same container, with the same credentials.
	base, err := twin.forStacks(m.withAWS(m.stackToolbox(env, src), env))
	if err != nil {
		return nil, err
	}
	runCtx, cancel := context.WithCancel(ctx)
	exec, err := newContainerExecutor(ctx, base, env.Terraform.Binary, m.CancelBeacon, cancel)
	if err != nil {
		cancel()
		return nil, err
	}
	r, err := stackrun.New(ctx, stackrun.Options{
		Root:         local,
		Environment:  env.Name,
		Stacks:       stacks,
		Executor:     exec,
		Binary:       env.Terraform.Binary,
		Out:          out,
		Progress:     os.Stderr,
		PlanDir:      filepath.Join(local, ".delivery", "bundle-out"),
		Bundle:       bundleDir,
		Approve:      opts.approve,
		Commit:       commit.Short(),
		LockTimeout:  opts.lockTimeout,
		AccountGuard: stackAccountGuard(env, base, twin != nil),
	})
	if err != nil {
		cancel()
		return nil, err
	}
	return &stackRun{runner: r, ctx: runCtx, cancel: cancel, local: local}, nil
}

// stackAccountGuard is the account guard of the Terraform path: before any terraform command, `stacks
// account` runs in the container terraform runs in, with the same credentials, and refuses unless
// sts:GetCallerIdentity returns the environment's account_id (pkg/awsconfig.GuardAccount). The refusal
// names both accounts; nothing but sts:GetCallerIdentity has been called. The providers'
// allowed_account_ids is the second line of defence inside terraform. With --twin it asks the twin (the
// route forStacks mounted). Never cached: credentials change.
func stackAccountGuard(env *environment.Environment, base *dagger.Container, twin bool) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		args := []string{"stacks", "account", "--env", env.Name, "--root", srcRoot}
		if twin {
			args = append(args, "--twin", twinRoutePath)
		}
		ctr := fresh(base).WithExec(args, dagger.ContainerWithExecOpts{Expect: dagger.ReturnTypeAny})
		code, err := ctr.ExitCode(ctx)
		if err != nil {
			return fmt.Errorf("account guard: %w", err)
		}
		if code != 0 {
			stderr, _ := ctr.Stderr(ctx)
			return errors.New(accountRefusal(stderr))
		}
		who, err := ctr.Stdout(ctx)
		if err != nil {
			return fmt.Errorf("account guard: %w", err)
		}
		fmt.Fprintf(os.Stderr, "account guard: %s", who)
		return nil
	}
}

// accountRefusal is the guard's message from `stacks account`'s stderr: its last line without the
// command's prefix, or a pointer to the command when it printed nothing.
func accountRefusal(stderr string) string {
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	last := strings.TrimPrefix(strings.TrimSpace(lines[len(lines)-1]), "stacks: ")
	if last == "" {
		return "account guard: `stacks account` failed and printed nothing; run it with the same credentials to see why"
	}
	return last
}

// errNoStacksAffected means the path guard selected nothing: the change touches no stack.
var errNoStacksAffected = errors.New("the change touches no stack and no module a stack uses: nothing to plan")

// affectedStacks is the path guard: the stacks owning a changed file or using a changed module, plus all
// their dependents.
func affectedStacks(root string, env *environment.Environment, changed []string) ([]string, error) {
	bp, err := blueprint.Load(filepath.Join(root, env.Terraform.StacksRoot))
	if err != nil {
		return nil, err
	}
	g, err := stackgraph.Build(bp)
	if err != nil {
		return nil, err
	}
	ids, _ := stackgraph.Affected(g, bp, path.Clean(env.Terraform.StacksRoot), env.Name, changed)
	return ids, nil
}

// Check the blueprint without touching any cloud: conventions, module wiring, the remote-state graph
// (every cycle, missing stack and off-scheme key in one run) and the security checks (cmd/stacks lint),
// terraform fmt, and the Helm chart (rendered and linted with the Helm SDK). With --blueprint only that
// tree is linted (cmd/stacks lint --root).
// +check
func (m *Delivery) Lint(
	ctx context.Context,
	// Environment under environments/ (its stacks root and chart are checked).
	// +default="staging"
	env string,
	// A blueprint tree in the repository (modules/, stacks/) to lint instead of the environment's.
	// +optional
	blueprint string,
) (string, error) {
	if blueprint != "" {
		rel := path.Clean(blueprint)
		if path.IsAbs(rel) || rel == ".." || strings.HasPrefix(rel, "../") {
			return "", fmt.Errorf("--blueprint %q: pass a path inside the repository", blueprint)
		}
		e, err := m.offlineEnvironment(ctx, env)
		if err != nil {
			return "", err
		}
		ctr := m.stackToolbox(e, m.Source).WithExec([]string{"stacks", "lint", "--root", path.Join(srcRoot, rel)}, dagger.ContainerWithExecOpts{Expect: dagger.ReturnTypeAny})
		code, err := ctr.ExitCode(ctx)
		if err != nil {
			return "", fmt.Errorf("lint %s: %v", rel, err)
		}
		out, err := ctr.Stdout(ctx)
		if err != nil {
			return "", fmt.Errorf("lint %s: %v", rel, err)
		}
		if code != 0 {
			return "", fmt.Errorf("lint %s found errors:\n%s", rel, out)
		}
		return out, nil
	}
	e, err := m.offlineEnvironment(ctx, env)
	if err != nil {
		return "", err
	}
	cmds := [][]string{{"stacks", "lint", "--root", srcRoot, "--env", e.Name}}
	// fmt covers the Terraform the blueprint owns (test fixtures elsewhere may be malformed on purpose).
	for _, rel := range []string{path.Join(e.Terraform.StacksRoot, "modules"), path.Join(e.Terraform.StacksRoot, "stacks"), environment.Dir} {
		if _, err := m.Source.Directory(rel).Entries(ctx); err != nil {
			continue // a blueprint without modules/ (the local stand-ins) has nothing to format there
		}
		cmds = append(cmds, []string{e.Terraform.Binary, "fmt", "-check", "-recursive", "-diff", path.Join(srcRoot, rel)})
	}
	cmds = append(cmds, []string{"release", "chart", "lint", "--env", e.Name, "--root", srcRoot})
	ctr := m.toolbox(e, m.Source)
	var report strings.Builder
	for _, cmd := range cmds {
		ctr = ctr.WithExec(cmd)
		out, err := ctr.Stdout(ctx)
		if err != nil {
			return "", fmt.Errorf("lint %s: %s: %v", env, strings.Join(cmd[:2], " "), err)
		}
		fmt.Fprintf(&report, "$ %s\n%s", strings.Join(cmd, " "), out)
		if out == "" {
			report.WriteString("ok\n")
		}
	}
	return report.String(), nil
}

// Plan the environment's stacks in dependency order and return the plan bundle: per stack that changes,
// its plan file and `show -json`, a manifest binding each plan to this commit, its inputs, the states it
// read and the tool versions, summary.md (what a reviewer reads), report.json (the CI report: `go run
// ./cmd/gha publish`) and plan.log. Export it (`export --path out/plan`) and hand it to `apply --bundle`.
// With --changed-files only the stacks the change touches, plus their dependents, are planned. Plans
// never take the state lock. The bundle holds plan files, which can contain secret values: keep it where
// the state is kept (a private CI artifact with a short retention).
// +cache="never"
func (m *Delivery) Plan(
	ctx context.Context,
	// Environment under environments/.
	env string,
	// Only these stacks (ids such as shared/vpc).
	// +optional
	stack []string,
	// File listing changed paths, one per line (git diff --name-only): the path guard.
	// +optional
	changedFiles *dagger.File,
) (*dagger.Directory, error) {
	e, err := m.environment(ctx, env)
	if err != nil {
		return nil, err
	}
	var log bytes.Buffer
	run, err := m.stackRunner(ctx, e, stackOptions{stacks: stack, changedFiles: changedFiles}, &log)
	if errors.Is(err, errNoStacksAffected) {
		report, rerr := pipeline.RenderNoStacks(pipeline.FormatJSON, err.Error())
		return dag.Directory().WithNewFile("report.json", report).WithNewFile(stackrun.BundleSummary, err.Error()+"\n"), rerr
	}
	if err != nil {
		return nil, err
	}
	defer run.cancel()
	s := run.runner.Plan(run.ctx)
	s.Bundle = ""
	report, err := pipeline.RenderStacks(pipeline.FormatJSON, s, log.String(), 0)
	if err != nil {
		return nil, err
	}
	out := filepath.Join(run.local, ".delivery", "bundle-out")
	if err := os.MkdirAll(out, 0o700); err != nil {
		return nil, err
	}
	for name, body := range map[string]string{"report.json": report, "plan.log": log.String()} {
		if err := os.WriteFile(filepath.Join(out, name), []byte(body), 0o600); err != nil {
			return nil, err
		}
	}
	if _, err := os.Stat(filepath.Join(out, stackrun.BundleSummary)); err != nil {
		_ = os.WriteFile(filepath.Join(out, stackrun.BundleSummary), []byte(s.Markdown()), 0o600)
	}
	return dag.CurrentModule().Workdir(filepath.ToSlash(out)), nil
}

// Apply the environment's stacks in dependency order; a failed stack stops its dependents, independent
// branches finish. With --bundle it applies exactly that reviewed plan bundle (from `plan`) and never
// plans again: an altered bundle, one from another commit, or a stack whose inputs or state moved is
// refused with the reason. Without a bundle it plans and applies each stack (not for production).
// Production needs --bundle and --approve.
// +cache="never"
func (m *Delivery) Apply(
	ctx context.Context,
	// Environment under environments/.
	env string,
	// Only these stacks (without --bundle).
	// +optional
	stack []string,
	// The plan bundle to apply (the directory `plan` returned).
	// +optional
	bundle *dagger.Directory,
	// Confirm applying the reviewed bundle to a production environment.
	// +optional
	approve bool,
	// How long to wait for a held state lock before reporting its holder (Go duration).
	// +default="5m"
	lockTimeout string,
	// text, markdown or json.
	// +default="text"
	format string,
) (string, error) {
	timeout, err := time.ParseDuration(lockTimeout)
	if err != nil {
		return "", fmt.Errorf("--lock-timeout %q: %w", lockTimeout, err)
	}
	return m.stackAction(ctx, env, stackOptions{stacks: stack, bundle: bundle, approve: approve, lockTimeout: timeout}, format, stackrun.ActionApply)
}

// Tell apart, per stack, changes made outside Terraform (a refresh-only plan) and code merged but not
// applied (a plan against the state as last applied). Text and markdown fail when either is found;
// json reports exit code 2.
// +cache="never"
func (m *Delivery) Drift(
	ctx context.Context,
	// Environment under environments/.
	env string,
	// text, markdown or json.
	// +default="text"
	format string,
) (string, error) {
	return m.stackAction(ctx, env, stackOptions{}, format, stackrun.ActionDrift)
}

// Remove a state lock left by a run that was killed: the held-lock message names the stack and the lock
// ID. Only when nothing else is applying that stack.
// +cache="never"
func (m *Delivery) ForceUnlock(
	ctx context.Context,
	// Environment under environments/.
	env string,
	// The stack whose lock to remove.
	stack string,
	// The lock ID the held-lock message printed.
	lockID string,
) (string, error) {
	e, err := m.environment(ctx, env)
	if err != nil {
		return "", err
	}
	var log bytes.Buffer
	run, err := m.stackRunner(ctx, e, stackOptions{stacks: []string{stack}}, &log)
	if err != nil {
		return "", err
	}
	defer run.cancel()
	if err := run.runner.ForceUnlock(run.ctx, stack, lockID); err != nil {
		return "", err
	}
	return log.String(), nil
}

// applyInfra is deploy --infra: the same apply as Apply (a reviewed bundle and an approval for
// production, plan-and-apply elsewhere).
func (m *Delivery) applyInfra(ctx context.Context, e *environment.Environment, bundle *dagger.Directory, approve bool, log *bytes.Buffer) (*stackrun.Summary, error) {
	run, err := m.stackRunner(ctx, e, stackOptions{bundle: bundle, approve: approve, lockTimeout: 5 * time.Minute}, log)
	if err != nil {
		return nil, err
	}
	defer run.cancel()
	s := run.runner.Apply(run.ctx)
	if n := s.Count(stackrun.StatusPending); n > 0 && s.OK() {
		var ids []string
		for _, st := range s.Stacks {
			if st.Status == stackrun.StatusPending {
				ids = append(ids, st.Stack)
			}
		}
		return s, fmt.Errorf("%d stacks need a new reviewed plan (%s): an upstream changed the outputs they read; plan, review and apply again before deploying\n%s", n, strings.Join(ids, ", "), s.Markdown())
	}
	return s, nil
}

func (m *Delivery) stackAction(ctx context.Context, env string, opts stackOptions, format string, action stackrun.Action) (string, error) {
	if err := pipeline.Format(format).Check(); err != nil {
		return "", err
	}
	e, err := m.environment(ctx, env)
	if err != nil {
		return "", err
	}
	var log bytes.Buffer
	run, err := m.stackRunner(ctx, e, opts, &log)
	if errors.Is(err, errNoStacksAffected) {
		return pipeline.RenderNoStacks(pipeline.Format(format), err.Error())
	}
	if err != nil {
		return "", err
	}
	defer run.cancel()
	var s *stackrun.Summary
	switch action {
	case stackrun.ActionApply:
		s = run.runner.Apply(run.ctx)
	default:
		s = run.runner.Drift(run.ctx)
	}
	s.Bundle = ""
	exit := 0
	if action == stackrun.ActionDrift && len(s.Drifted())+len(s.Unapplied()) > 0 {
		exit = 2
	}
	out, err := pipeline.RenderStacks(pipeline.Format(format), s, log.String(), exit)
	if err != nil {
		return "", err
	}
	if format != string(pipeline.FormatJSON) {
		if !s.OK() {
			return "", fmt.Errorf("%s %s failed:\n%s", action, env, out)
		}
		if exit == 2 {
			return "", fmt.Errorf("%s: changed outside Terraform: %v; code not applied: %v\n%s", env, s.Drifted(), s.Unapplied(), out)
		}
	}
	return out, nil
}
