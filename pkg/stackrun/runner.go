package stackrun

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/platformteam/delivery/pkg/blueprint"
	"github.com/platformteam/delivery/pkg/environment"
	"github.com/platformteam/delivery/pkg/stackgraph"
)

// DeliveryDir holds the engine's generated files under the workspace (self-gitignored).
const DeliveryDir = ".delivery"

// Options configure a Runner. Only Environment is required.
type Options struct {
	// Root is the repository root holding environments/ (default ".").
	Root string
	// Environment is the environment name (environments/<name>/delivery.yaml).
	Environment string
	// Stacks selects stacks by id ("shared/vpc"); empty means every stack. Exclusive with ChangedSince.
	Stacks []string
	// ChangedSince selects the stacks changed since this git ref plus all their dependents.
	ChangedSince string
	// Parallelism caps concurrently running stacks; 0 takes the environment's terraform.parallelism.
	Parallelism int
	// PlanDir is where Plan writes the plan bundle (default <Root>/.delivery/plans/<env>); an existing
	// bundle there is replaced.
	PlanDir string
	// Bundle is a plan bundle directory for Apply to apply exactly; empty means plan-and-apply (refused
	// for a production environment). The selection is the bundle's stacks.
	Bundle string
	// Approve confirms that a reviewed bundle may be applied to a production environment.
	Approve bool
	// Commit is the commit the blueprint is at; a bundle is bound to it and refused at another commit.
	// Default: the first 7 characters of `git rev-parse HEAD` in Root ("" outside a git checkout).
	Commit string
	// Binary is "terraform" or "tofu" or a path; empty takes TF_BINARY, then the environment's setting.
	Binary string
	// Executor runs terraform; nil means a LocalExecutor for Binary in Root.
	Executor Executor
	// Out receives one block per finished stack (default os.Stdout); Progress receives progress lines
	// (default os.Stderr).
	Out, Progress io.Writer
	// LockTimeout is how long an apply waits for a held state lock (-lock-timeout; default 0: a held lock
	// fails at once, named with its holder in the result). Plans never take the lock.
	LockTimeout time.Duration
	// StackTimeout bounds each stack's whole action (default 30m).
	StackTimeout time.Duration
	// ProgressEvery is the interval of "still running" lines (default 30s).
	ProgressEvery time.Duration
	// AccountGuard, when set, runs once before any terraform command of an action and refuses the whole
	// action when it fails: the seam where the caller checks that its credentials belong to the
	// environment's account (sts:GetCallerIdentity against account_id; pkg/awsconfig's guard). The
	// providers' allowed_account_ids is the second line of defence inside terraform.
	AccountGuard func(ctx context.Context) error
}

// Runner runs one action over the selected stacks of one environment.
type Runner struct {
	opts       Options
	env        *environment.Environment
	bp         *blueprint.Blueprint
	overlay    *blueprint.Overlay
	graph      *stackgraph.Graph
	exec       Executor
	stacksRoot string // blueprint root relative to the workspace, slash-separated ("." or "sandbox/blueprint")
	selected   []string
	reasons    map[string]string
	inputs     map[string][]byte // stack -> inputs.tfvars.json

	printMu        sync.Mutex
	initMu         sync.Mutex
	inits          map[string]*initOnce
	providerInitMu sync.Mutex

	bundle      *Bundle           // the bundle Apply applies
	bundlePlans map[string][]byte // its plan files, checked against the manifest

	stateMu sync.Mutex
	planned map[string]*plannedStack // Plan: what each stack's plan produced
	states  map[string]StateVersion  // state versions known in this run
	applied map[string]bool          // Apply: stacks applied in this run -> their plan changed outputs

	digestMu sync.Mutex
	digests  map[string]string // current output digests read in this run
}

type initOnce struct {
	once sync.Once
	err  error
	log  []byte
}

// New loads the environment, the blueprint and the graph, resolves the selection, and checks every
// selected stack's inputs against its declared variable types. Any bad input is reported here, before
// terraform runs anywhere.
func New(ctx context.Context, opts Options) (*Runner, error) {
	if opts.Root == "" {
		opts.Root = "."
	}
	if opts.Environment == "" {
		return nil, errors.New("no environment given: pass --env <name> (a folder under environments/)")
	}
	env, err := environment.Load(opts.Root, opts.Environment)
	if err != nil {
		return nil, err
	}
	r := &Runner{opts: opts, env: env, inits: map[string]*initOnce{}, reasons: map[string]string{},
		states: map[string]StateVersion{}, applied: map[string]bool{}, digests: map[string]string{}, planned: map[string]*plannedStack{}}
	if r.opts.Commit == "" {
		r.opts.Commit = gitHead(ctx, env.Root)
	}
	r.stacksRoot = path.Clean(filepath.ToSlash(env.Terraform.StacksRoot))
	if r.bp, err = blueprint.Load(env.Path(env.Terraform.StacksRoot)); err != nil {
		return nil, fmt.Errorf("environment %s (terraform.stacks_root %q): %w", env.Name, env.Terraform.StacksRoot, err)
	}
	if r.overlay, err = blueprint.LoadOverlay(env.Root, env.Name); err != nil {
		return nil, err
	}
	if syntax := append(r.bp.Syntax(), r.overlay.Syntax...); syntax.Errors() > 0 {
		return nil, findingsError("the blueprint has malformed files", r.prefixed(syntax))
	}
	if r.graph, err = stackgraph.Build(r.bp); err != nil {
		return nil, fmt.Errorf("stack graph of %s: %w", env.Path(env.Terraform.StacksRoot), err)
	}
	if err := r.loadBundle(); err != nil {
		return nil, err
	}
	if err := r.selectStacks(ctx); err != nil {
		return nil, err
	}
	if err := r.prepareInputs(); err != nil {
		return nil, err
	}
	r.applyDefaults()
	r.ignoreDeliveryDir()
	if r.exec = opts.Executor; r.exec == nil {
		local, err := NewLocalExecutor(env.Root, r.binary())
		if err != nil {
			return nil, err
		}
		if local.PluginCacheDir, err = pluginCacheDir(env.Root); err != nil {
			return nil, err
		}
		r.exec = local
	}
	return r, nil
}

func (r *Runner) applyDefaults() {
	if r.opts.Parallelism <= 0 {
		r.opts.Parallelism = r.env.Terraform.Parallelism
	}
	if r.opts.PlanDir == "" {
		r.opts.PlanDir = filepath.Join(r.env.Root, DeliveryDir, "plans", r.env.Name)
	}
	if r.opts.Out == nil {
		r.opts.Out = os.Stdout
	}
	if r.opts.Progress == nil {
		r.opts.Progress = os.Stderr
	}
	if r.opts.StackTimeout == 0 {
		r.opts.StackTimeout = 30 * time.Minute
	}
	if r.opts.ProgressEvery == 0 {
		r.opts.ProgressEvery = 30 * time.Second
	}
}

func (r *Runner) binary() string { return BinaryFor(r.opts.Binary, r.env) }

// BinaryFor picks the terraform binary: the flag, else $TF_BINARY, else the environment's
// terraform.binary ("terraform" or "tofu"). Executors other than LocalExecutor use it too.
func BinaryFor(flag string, env *environment.Environment) string {
	if flag != "" {
		return flag
	}
	if b := os.Getenv("TF_BINARY"); b != "" {
		return b
	}
	return env.Terraform.Binary
}

// loadBundle reads Options.Bundle and refuses, before anything runs, a bundle that was altered, is for
// another environment, or was made at another commit.
func (r *Runner) loadBundle() error {
	if r.opts.Bundle == "" {
		return nil
	}
	b, plans, err := LoadBundle(r.opts.Bundle)
	if err != nil {
		return err
	}
	switch {
	case b.Environment != r.env.Name:
		return fmt.Errorf("plan bundle %s is for environment %s, not %s: nothing applied", r.opts.Bundle, b.Environment, r.env.Name)
	case b.Commit != r.opts.Commit:
		return fmt.Errorf("plan bundle %s was planned at commit %q, this is commit %q: nothing applied; plan this commit and review that bundle", r.opts.Bundle, b.Commit, r.opts.Commit)
	}
	r.bundle, r.bundlePlans = b, plans
	return nil
}

// gitHead is the commit checked out in dir, abbreviated to 7 characters as the Dagger module names
// commits (so a bundle planned by one can be applied by the other), "" when it is not a git checkout.
func gitHead(ctx context.Context, dir string) string {
	out, err := exec.CommandContext(ctx, "git", "-C", dir, "rev-parse", "HEAD").Output()
	if head := strings.TrimSpace(string(out)); err == nil && len(head) >= 7 {
		return head[:7]
	}
	return ""
}

// Selected returns the stacks this runner acts on, in dependency order.
func (r *Runner) Selected() []string { return append([]string(nil), r.selected...) }

// Graph returns the environment's stack graph.
func (r *Runner) Graph() *stackgraph.Graph { return r.graph }

// Environment returns the loaded environment.
func (r *Runner) Environment() *environment.Environment { return r.env }

func (r *Runner) selectStacks(ctx context.Context) error {
	switch {
	case r.bundle != nil && (len(r.opts.Stacks) > 0 || r.opts.ChangedSince != ""):
		return errors.New("a plan bundle selects its own stacks: drop --stack / --changed-since, or plan again for that selection")
	case r.bundle != nil:
		var ids []string
		for _, s := range r.bundle.Stacks {
			if !r.graph.Has(s.Stack) {
				return fmt.Errorf("plan bundle %s holds stack %s, which does not exist at this commit: plan again", r.opts.Bundle, s.Stack)
			}
			ids = append(ids, s.Stack)
		}
		r.selected = r.graph.Sort(ids)
		return nil
	case len(r.opts.Stacks) > 0 && r.opts.ChangedSince != "":
		return errors.New("--stack and --changed-since select stacks in different ways: use one of them")
	case r.opts.ChangedSince != "":
		files, err := stackgraph.GitChangedFiles(ctx, r.env.Root, r.opts.ChangedSince)
		if err != nil {
			return err
		}
		var changes []stackgraph.Change
		r.selected, changes = stackgraph.Affected(r.graph, r.bp, r.stacksRoot, r.env.Name, files)
		for _, c := range changes {
			r.reasons[c.Stack] = c.Reason
		}
		return nil
	case len(r.opts.Stacks) > 0:
		var unknown []string
		var ids []string
		for _, s := range r.opts.Stacks {
			id := r.normalizeStackID(s)
			if !r.graph.Has(id) {
				unknown = append(unknown, s)
				continue
			}
			ids = append(ids, id)
		}
		if len(unknown) > 0 {
			return fmt.Errorf("stack %s does not exist under %s: known stacks are %s",
				strings.Join(unknown, ", "), path.Join(r.stacksRoot, blueprint.StacksDir), strings.Join(r.graph.IDs(), ", "))
		}
		r.selected = r.graph.Sort(ids)
		return nil
	default:
		r.selected = r.graph.Order()
		return nil
	}
}

// normalizeStackID accepts "shared/vpc", "stacks/shared/vpc" or the path from the repository root.
func (r *Runner) normalizeStackID(s string) string {
	s = strings.Trim(path.Clean(filepath.ToSlash(s)), "/")
	if r.stacksRoot != "." {
		s = strings.TrimPrefix(s, r.stacksRoot+"/")
	}
	return strings.TrimPrefix(s, blueprint.StacksDir+"/")
}

func (r *Runner) prepareInputs() error {
	r.inputs = map[string][]byte{}
	var problems blueprint.Findings
	for _, id := range r.selected {
		st := r.bp.Stacks[id]
		if len(st.Backends) == 0 {
			problems = append(problems, blueprint.Finding{File: st.Dir, Rule: blueprint.RuleStackBackend, Severity: blueprint.Error,
				Message: "stack " + id + " declares no backend", Hint: `add terraform { backend "s3" {} } to versions.tf`})
		}
		in, findings := blueprint.StackInputs(st, r.overlay)
		problems = append(problems, findings...)
		data, err := in.JSON()
		if err != nil {
			return fmt.Errorf("stack %s: %w", id, err)
		}
		r.inputs[id] = data
	}
	if problems.Errors() > 0 {
		return findingsError("inputs of environment "+r.env.Name+" do not fit the stacks", r.prefixed(problems))
	}
	return nil
}

// prefixed rewrites blueprint-relative finding paths to repository-relative ones.
func (r *Runner) prefixed(fs blueprint.Findings) blueprint.Findings {
	out := make(blueprint.Findings, len(fs))
	for i, f := range fs {
		if r.stacksRoot != "." && (strings.HasPrefix(f.File, blueprint.StacksDir+"/") || strings.HasPrefix(f.File, blueprint.ModulesDir+"/")) {
			f.File = r.stacksRoot + "/" + f.File
		}
		out[i] = f
	}
	return out
}

func findingsError(title string, fs blueprint.Findings) error {
	fs.Sort()
	var b strings.Builder
	b.WriteString(title + " (nothing was run):")
	for _, f := range fs {
		if f.Severity == blueprint.Error {
			b.WriteString("\n  " + f.String())
		}
	}
	return errors.New(b.String())
}

// pluginCacheDir is TF_PLUGIN_CACHE_DIR when set, else <cache>/terraform/plugins where <cache> is
// DELIVERY_CACHE_DIR or <root>/.cache (gitignored). Providers then download once for every stack.
func pluginCacheDir(root string) (string, error) {
	dir := os.Getenv("TF_PLUGIN_CACHE_DIR")
	if dir == "" {
		cache := os.Getenv("DELIVERY_CACHE_DIR")
		if cache == "" {
			cache = filepath.Join(root, ".cache")
		}
		dir = filepath.Join(cache, "terraform", "plugins")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("create the terraform plugin cache %s (set TF_PLUGIN_CACHE_DIR elsewhere): %w", dir, err)
	}
	return dir, nil
}
