package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/platformteam/delivery/pkg/environment"
	"github.com/platformteam/delivery/pkg/sandbox/daggerengine"
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
	lock, err := AcquireLock(lockCtx, l.LockFile(), out)
	if err != nil {
		return nil, err
	}
	defer lock.Release()

	tools, err := installTools(ctx, l, out)
	if err != nil {
		return nil, err
	}
	if err := startServices(ctx, l, out, tools, env); err != nil {
		return nil, err
	}
	terraformImage, err := serveTerraformImage(ctx, l, tools.terraform, out)
	if err != nil {
		return nil, err
	}

	vars := clientEnv(l, env, tools.terraform)
	vars[EnvTerraformImage] = terraformImage
	if err := seedAndReport(ctx, vars, env, out); err != nil {
		return nil, err
	}
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
	built               map[string]string // goTool name -> binary
	terraform           TerraformBinary
}

// installTools checks the prerequisites and builds the tools that are not cached yet.
func installTools(ctx context.Context, l Layout, out io.Writer) (toolset, error) {
	var t toolset
	var err error
	if t.python, t.motoVersion, err = checkMoto(ctx); err != nil {
		return t, err
	}
	if t.registry, err = ensureRegistryBinary(ctx, out); err != nil {
		return t, err
	}
	t.built = map[string]string{}
	for _, tool := range sandboxTools(l) {
		path, err := tool.ensure(ctx, l, out)
		if err != nil {
			return t, err
		}
		t.built[tool.name] = path
	}
	if t.terraform, err = findTerraform(ctx, l, out); err != nil {
		return t, err
	}
	if warning := backendWarning(t.terraform); warning != "" {
		fmt.Fprintln(out, warning)
	}
	return t, nil
}

// startServices brings every service up in dependency order, registers the fake nodes before kwok
// starts, and waits until the environment's namespace can run pods.
func startServices(ctx context.Context, l Layout, out io.Writer, t toolset, env *environment.Environment) error {
	pki := kubePKI{dir: filepath.Join(l.KubeDir(), "pki")}
	if err := pki.ensure(); err != nil {
		return err
	}
	if err := writeKubeconfigs(l, pki); err != nil {
		return err
	}
	for _, svc := range retiredServices() {
		if err := svc.stop(l, out); err != nil {
			return err
		}
	}
	services := []service{motoService(t.python, t.motoVersion), awsFrontService(t.built["aws-front"]), registryService(l, t.registry), etcdService(l, t.built["etcd"])}
	services = append(services, kubeServices(l, t.built["kubernetes"], pki)...)
	for _, svc := range services {
		if _, err := svc.ensureRunning(ctx, l, out); err != nil {
			return err
		}
	}
	client, err := adminClient(l)
	if err != nil {
		return err
	}
	if err := registerNodes(ctx, client, env.Region); err != nil {
		return err
	}
	if _, err := kwokService(l, t.built["kwok"], nodesReadyCheck(l, env.Region)).ensureRunning(ctx, l, out); err != nil {
		return err
	}
	return prepareNamespaces(ctx, l, out, []string{env.EKS.Namespace})
}

func seedAndReport(ctx context.Context, vars EnvFile, env *environment.Environment, out io.Writer) error {
	seeded, err := SeedAWS(ctx, vars, env)
	if err != nil {
		return fmt.Errorf("seed moto with the local environment's AWS resources: %w", err)
	}
	if len(seeded) > 0 {
		fmt.Fprintf(out, "seeded moto with the local environment's AWS resources (%d created):\n", len(seeded))
		for _, r := range seeded {
			fmt.Fprintf(out, "  %s\n", r)
		}
	}
	return nil
}

// daggerEntries brings the Dagger engine up when asked (a missing engine implementation is reported,
// not fatal) and adds its client variables; without --with-dagger it keeps a running engine's entries.
func daggerEntries(ctx context.Context, opts Options, vars EnvFile) error {
	if !opts.WithDagger {
		keepRunningDagger(ctx, opts, vars)
		return nil
	}
	engine, err := daggerengine.Up(ctx, opts.daggerOptions())
	switch {
	case errors.Is(err, daggerengine.ErrNotBuilt):
		fmt.Fprintln(opts.progress(), "dagger: component not available yet (pkg/sandbox/daggerengine is not implemented); everything else is up, the env file has no Dagger entries")
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
func clientEnv(l Layout, env *environment.Environment, tf TerraformBinary) EnvFile {
	return EnvFile{
		EnvAWSEndpoint:  MotoURL(),
		EnvAWSAccessKey: "sandbox",
		EnvAWSSecretKey: "sandbox-secret",
		EnvAWSRegion:    env.Region,
		EnvAWSDefRegion: env.Region,
		EnvAccountID:    env.AccountID,
		EnvRegistry:     RegistryAddress(),
		EnvKubeconfig:   l.Kubeconfig(),
		EnvTerraform:    tf.Path,
		EnvStateDir:     l.StateDir,
	}
}

// allServices lists every service in start order, for Down and Status (which never build anything,
// so binaries are referenced by their cache path whether or not they exist).
func allServices(l Layout, region string) []service {
	pki := kubePKI{dir: filepath.Join(l.KubeDir(), "pki")}
	tools := map[string]string{}
	for _, t := range sandboxTools(l) {
		tools[t.name] = t.path(l)
	}
	services := []service{motoService("python3", installedMotoVersion()), awsFrontService(tools["aws-front"]), registryService(l, "docker-registry"), etcdService(l, tools["etcd"])}
	services = append(services, kubeServices(l, tools["kubernetes"], pki)...)
	return append(services, kwokService(l, tools["kwok"], nodesReadyCheck(l, region)))
}

// Down stops every process the sandbox started, in reverse start order, each gracefully (SIGTERM,
// then SIGKILL after a grace period), waiting for each to exit. It removes the env file so clients
// see the sandbox as down. With purge it also deletes the state directory (data, certificates).
func Down(ctx context.Context, opts Options, purge bool) error {
	l, out := opts.Layout, opts.progress()
	lockCtx, cancel := context.WithTimeout(ctx, lockTimeout)
	defer cancel()
	lock, err := AcquireLock(lockCtx, l.LockFile(), out)
	if err != nil {
		return err
	}
	defer lock.Release()

	var errs []error
	if err := daggerengine.Down(ctx, opts.daggerOptions()); err != nil {
		errs = append(errs, fmt.Errorf("dagger engine: %w", err))
	}
	services := append(retiredServices(), allServices(l, "")...)
	for i := len(services) - 1; i >= 0; i-- {
		if err := services[i].stop(l, out); err != nil {
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
	Components []ComponentStatus
	Terraform  ComponentStatus
	Dagger     ComponentStatus
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

// Services probes the sandbox's long-running services (not terraform or Dagger) without changing
// anything; it is what integration tests check before deciding to bring the sandbox up.
func Services(ctx context.Context, opts Options) []ComponentStatus {
	l := opts.Layout
	region := ""
	if env, err := environment.Load(l.RepoRoot, EnvName); err == nil {
		region = env.Region
	}
	var out []ComponentStatus
	for _, svc := range allServices(l, region) {
		out = append(out, svc.status(ctx, l))
	}
	return out
}

// Status probes every component without changing anything.
func Status(ctx context.Context, opts Options) Report {
	l := opts.Layout
	r := Report{Components: Services(ctx, opts)}
	r.Terraform = ComponentStatus{Name: "terraform", Address: "-"}
	if vars, err := ReadEnvFile(l.EnvFile()); err == nil {
		r.EnvFile = l.EnvFile()
		if tf := vars[EnvTerraform]; tf != "" {
			c := probeTerraform(ctx, tf, filepath.Base(tf))
			r.Terraform.Up = c.Err == nil
			r.Terraform.Version = c.Version
			r.Terraform.Detail = tf
			if c.Err != nil {
				r.Terraform.Detail = c.Err.Error()
			}
		}
	} else {
		r.Terraform.Detail = "located by `up`"
	}
	d := daggerengine.Probe(ctx, opts.daggerOptions())
	r.Dagger = ComponentStatus{Name: "dagger", Version: d.Version, Address: d.Address, Up: d.Up, Detail: d.Detail}
	if r.Dagger.Version == "" {
		r.Dagger.Version = daggerengine.Version
	}
	return r
}
