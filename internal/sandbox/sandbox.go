package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/platformteam/delivery/internal/sandbox/daggerengine"
	"github.com/platformteam/delivery/internal/sandbox/kube"
	"github.com/platformteam/delivery/internal/sandbox/moto"
	"github.com/platformteam/delivery/internal/sandbox/proc"
	"github.com/platformteam/delivery/internal/sandbox/toolchain"
	"github.com/platformteam/delivery/internal/sandbox/twin"
	"github.com/platformteam/delivery/pkg/environment"
)

// EnvName is the environment the sandbox stands in for (environments/local).
const EnvName = "local"

// Options configure Up, Down and Status.
type Options struct {
	Layout     Layout
	WithDagger bool      // also bring up (or report) the offline Dagger engine
	Progress   io.Writer // progress lines; nil discards them
}

func (o Options) progress() io.Writer {
	if o.Progress == nil {
		return io.Discard
	}
	return o.Progress
}

func (o Options) daggerOptions() daggerengine.Options {
	return daggerengine.Options{
		CacheDir: o.Layout.CacheDir,
		StateDir: o.Layout.DaggerDir(),
		Registry: RegistryAddress(),
		Progress: o.progress(),
	}
}

// lockTimeout bounds how long a caller waits for another Up (which may be building Kubernetes).
const lockTimeout = 75 * time.Minute

// lockHolder is who holds the sandbox lock while a caller waits.
const lockHolder = "another `sandbox up`, `down` or test (it may be building tools)"

// Up installs what is missing, starts every component that is not running, waits until each is
// ready, seeds moto, and writes the env file. Running it again when everything is up changes nothing.
func Up(ctx context.Context, opts Options) (EnvFile, error) {
	l, out := opts.Layout, opts.progress()
	began := time.Now()
	env, err := environment.Load(l.RepoRoot, EnvName)
	if err != nil {
		return nil, fmt.Errorf("load the sandbox environment: %w", err)
	}
	lockCtx, cancel := context.WithTimeout(ctx, lockTimeout)
	defer cancel()
	lock, err := proc.AcquireLock(lockCtx, l.LockFile(), lockHolder, out)
	if err != nil {
		return nil, err
	}
	defer lock.Release()

	tools, err := installTools(ctx, l, out)
	if err != nil {
		return nil, err
	}
	bootstrap, accounts, err := startAWS(ctx, l, out, tools)
	if err != nil {
		return nil, err
	}
	if err := startServices(ctx, l, out, tools, env, bootstrap); err != nil {
		return nil, err
	}
	terraformImage, err := toolchain.ServeTerraformImage(ctx, RegistryAddress(), l.terraformImageRecord(), tools.terraform, out)
	if err != nil {
		return nil, err
	}

	if err := seedAccounts(ctx, l, out, &bootstrap, accounts); err != nil {
		return nil, fmt.Errorf("seed the twin accounts: %w", err)
	}
	vars := clientEnv(l, env, tools.terraform)
	vars[EnvAWSAccessKey], vars[EnvAWSSecretKey] = bootstrap.Laptop.AccessKeyID, bootstrap.Laptop.SecretAccessKey
	vars[EnvTerraformImage] = terraformImage
	if err := daggerEntries(ctx, opts, vars); err != nil {
		return nil, err
	}
	if err := vars.Write(l.EnvFile()); err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "sandbox up in %s; env file %s\n", time.Since(began).Round(100*time.Millisecond), l.EnvFile())
	return vars, nil
}

// toolset is every executable the sandbox runs, found or built.
type toolset struct {
	python, motoVersion string
	registry            string
	awsFront            string
	kubeTwin            string
	cluster             kube.Binaries
	terraform           toolchain.Terraform
}

// installTools checks the prerequisites and builds the tools that are not cached yet (cheap first).
func installTools(ctx context.Context, l Layout, out io.Writer) (toolset, error) {
	var t toolset
	var err error
	if t.python, t.motoVersion, err = checkMoto(ctx); err != nil {
		return t, err
	}
	if t.registry, err = ensureRegistryBinary(ctx, out); err != nil {
		return t, err
	}
	if t.awsFront, err = l.awsFrontTool().Ensure(ctx, l.CacheDir, out); err != nil {
		return t, err
	}
	if t.kubeTwin, err = l.kubeTwinTool().Ensure(ctx, l.CacheDir, out); err != nil {
		return t, err
	}
	if t.cluster, err = kube.BuildBinaries(ctx, l.RepoRoot, l.CacheDir, out); err != nil {
		return t, err
	}
	if t.terraform, err = toolchain.FindTerraform(ctx, l.CacheDir, out); err != nil {
		return t, err
	}
	if warning := t.terraform.BackendWarning(); warning != "" {
		fmt.Fprintln(out, warning)
	}
	return t, nil
}

// startServices brings the clusters up (after the AWS endpoint and registry, see startAWS) and waits
// until the environments' namespaces can run pods.
func startServices(ctx context.Context, l Layout, out io.Writer, t toolset, env *environment.Environment, b twin.Bootstrap) error {
	return startClusters(ctx, l, out, t, b)
}

// daggerEntries brings the Dagger engine up when asked and adds its client variables; without
// --with-dagger it keeps a running engine's entries.
func daggerEntries(ctx context.Context, opts Options, vars EnvFile) error {
	if !opts.WithDagger {
		keepRunningDagger(ctx, opts, vars)
		return nil
	}
	engine, err := daggerengine.Up(ctx, opts.daggerOptions())
	switch {
	case errors.Is(err, daggerengine.ErrNotBuilt):
		fmt.Fprintln(opts.progress(), "dagger: component not available yet (internal/sandbox/daggerengine is not implemented); everything else is up, the env file has no Dagger entries")
	case err != nil:
		return fmt.Errorf("dagger engine: %w", err)
	default:
		vars[EnvDaggerHost] = engine.RunnerHost
		vars[EnvDaggerCLI] = engine.CLIPath
	}
	return nil
}

// keepRunningDagger carries the Dagger entries of the previous env file over when the engine an
// earlier `up --with-dagger` started is still running, so a plain `up` does not hide it from clients.
func keepRunningDagger(ctx context.Context, opts Options, vars EnvFile) {
	previous, err := ReadEnvFile(opts.Layout.EnvFile())
	if err != nil || previous[EnvDaggerHost] == "" {
		return
	}
	if !daggerengine.Probe(ctx, opts.daggerOptions()).Up {
		return
	}
	vars[EnvDaggerHost] = previous[EnvDaggerHost]
	vars[EnvDaggerCLI] = previous[EnvDaggerCLI]
}

// clientEnv is what a client needs to use the sandbox (the env file's content).
func clientEnv(l Layout, env *environment.Environment, tf toolchain.Terraform) EnvFile {
	return EnvFile{
		EnvAWSEndpoint:  MotoURL(),
		EnvAWSRegion:    env.Region,
		EnvAWSDefRegion: env.Region,
		EnvAccountID:    env.AccountID,
		EnvRegistry:     RegistryAddress(),
		EnvKubeconfig:   l.primaryKubeconfig(),
		EnvTerraform:    tf.Path,
		EnvStateDir:     l.StateDir,
	}
}

// allProcesses lists every process in start order, for Down and Status (which never build anything,
// so binaries are referenced by their cache path whether or not they exist).
func allProcesses(l Layout) ([]proc.Process, error) {
	processes := l.processes("python3", moto.InstalledVersion(), l.awsFrontTool().Path(l.CacheDir), "docker-registry")
	binaries := kube.CachedBinaries(l.RepoRoot, l.CacheDir)
	processes = append(processes, l.etcd(binaries.Etcd))
	clusters, err := l.clusters(binaries)
	if err != nil {
		return processes, err
	}
	for _, c := range clusters {
		processes = append(processes, c.Processes()...)
	}
	return append(processes, l.kubeTwin(l.kubeTwinTool().Path(l.CacheDir), clusters).Process()), nil
}

// Down stops every process the sandbox started, in reverse start order, each gracefully (SIGTERM,
// then SIGKILL after a grace period), waiting for each to exit. It removes the env file so clients
// see the sandbox as down. With purge it also deletes the state directory (data, certificates).
func Down(ctx context.Context, opts Options, purge bool) error {
	l, out := opts.Layout, opts.progress()
	lockCtx, cancel := context.WithTimeout(ctx, lockTimeout)
	defer cancel()
	lock, err := proc.AcquireLock(lockCtx, l.LockFile(), lockHolder, out)
	if err != nil {
		return err
	}
	defer lock.Release()

	var errs []error
	if err := daggerengine.Down(ctx, opts.daggerOptions()); err != nil {
		errs = append(errs, fmt.Errorf("dagger engine: %w", err))
	}
	all, err := allProcesses(l)
	if err != nil {
		errs = append(errs, fmt.Errorf("list the clusters' processes (stopping the others): %w", err))
	}
	processes := append(l.retiredProcesses(), all...)
	for i := len(processes) - 1; i >= 0; i-- {
		if err := processes[i].Stop(out); err != nil {
			errs = append(errs, err)
		}
	}
	if err := os.Remove(l.EnvFile()); err != nil && !errors.Is(err, os.ErrNotExist) {
		errs = append(errs, fmt.Errorf("remove env file: %w", err))
	}
	if len(errs) > 0 {
		return fmt.Errorf("sandbox down left something running: %w", errors.Join(errs...))
	}
	if purge {
		if err := os.RemoveAll(l.StateDir); err != nil {
			return fmt.Errorf("delete sandbox state %s: %w", l.StateDir, err)
		}
		fmt.Fprintf(out, "deleted %s\n", l.StateDir)
	}
	fmt.Fprintln(out, "sandbox down")
	return nil
}

// Report is what `sandbox status` shows.
type Report struct {
	Components []proc.Status
	Terraform  proc.Status
	Dagger     proc.Status
	EnvFile    string // path, empty when absent
}

// AllUp reports whether every service component is up.
func (r Report) AllUp() bool {
	for _, c := range r.Components {
		if !c.Up {
			return false
		}
	}
	return true
}

// Services probes the sandbox's long-running processes (not terraform or Dagger) without changing
// anything; it is what integration tests check before deciding to bring the sandbox up.
func Services(ctx context.Context, opts Options) []proc.Status {
	processes, err := allProcesses(opts.Layout)
	var out []proc.Status
	for _, p := range processes {
		out = append(out, p.Status(ctx))
	}
	if err != nil {
		out = append(out, proc.Status{Name: "clusters", Address: "-", Detail: err.Error()})
	}
	return out
}

// Status probes every component without changing anything.
func Status(ctx context.Context, opts Options) Report {
	l := opts.Layout
	r := Report{Components: Services(ctx, opts)}
	r.Terraform = proc.Status{Name: "terraform", Address: "-"}
	if vars, err := ReadEnvFile(l.EnvFile()); err == nil {
		r.EnvFile = l.EnvFile()
		if tf := vars[EnvTerraform]; tf != "" {
			version, err := toolchain.TerraformVersion(ctx, tf)
			r.Terraform.Up = err == nil
			r.Terraform.Version = version
			r.Terraform.Detail = tf
			if err != nil {
				r.Terraform.Detail = err.Error()
			}
		}
	} else {
		r.Terraform.Detail = "located by `up`"
	}
	d := daggerengine.Probe(ctx, opts.daggerOptions())
	r.Dagger = proc.Status{Name: "dagger", Version: d.Version, Address: d.Address, Up: d.Up, Detail: d.Detail}
	if r.Dagger.Version == "" {
		r.Dagger.Version = daggerengine.Version
	}
	return r
}
