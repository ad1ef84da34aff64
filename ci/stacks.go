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

	"dagger/delivery/endpoints"
	"dagger/delivery/internal/dagger"
	"dagger/delivery/render"

	"github.com/platformteam/delivery/pkg/blueprint"
	"github.com/platformteam/delivery/pkg/environment"
	"github.com/platformteam/delivery/pkg/stackgraph"
	"github.com/platformteam/delivery/pkg/stackrun"
)

// stackSource is the source as terraform sees it in containers: for a local environment the backend
// endpoints (and so the remote-state settings the engine derives from them) point at the AWS alias.
func (m *Delivery) stackSource(ctx context.Context, env *environment.Environment) (*dagger.Directory, error) {
	if !env.Local() {
		return m.Source, nil
	}
	p := path.Join(environment.Dir, env.Name, "backend.hcl")
	raw, err := m.Source.File(p).Contents(ctx)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	return m.Source.WithNewFile(p, strings.ReplaceAll(raw, env.Endpoints.AWS, endpoints.Rebase(env.Endpoints.AWS, awsAlias))), nil
}

// stackRunner prepares the stack engine for env: the engine runs here, in the module, over a copy of the
// blueprint; terraform runs in containers through containerExecutor.
func (m *Delivery) stackRunner(ctx context.Context, env *environment.Environment, stacks []string, changedFiles *dagger.File, out *bytes.Buffer) (*stackrun.Runner, error) {
	src, err := m.stackSource(ctx, env)
	if err != nil {
		return nil, err
	}
	local, err := os.MkdirTemp("", "blueprint-")
	if err != nil {
		return nil, err
	}
	include := []string{environment.Dir + "/", "modules/", "stacks/"}
	if root := path.Clean(env.Terraform.StacksRoot); root != "." {
		include = append(include, root+"/")
	}
	if _, err := src.Filter(dagger.DirectoryFilterOpts{Include: include}).Export(ctx, local); err != nil {
		return nil, fmt.Errorf("load the blueprint: %w", err)
	}
	if changedFiles != nil {
		var changed []string
		raw, err := changedFiles.Contents(ctx)
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
	exec, err := newContainerExecutor(m.withAWS(m.toolbox(env, src), env), env.Terraform.Binary)
	if err != nil {
		return nil, err
	}
	return stackrun.New(ctx, stackrun.Options{
		Root:        local,
		Environment: env.Name,
		Stacks:      stacks,
		Executor:    exec,
		Binary:      env.Terraform.Binary,
		Out:         out,
		Progress:    os.Stderr,
	})
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

// Check the blueprint without touching any cloud: conventions and module wiring (cmd/stacks lint),
// terraform fmt, and the Helm chart (rendered and linted with the Helm SDK).
// +check
func (m *Delivery) Lint(
	ctx context.Context,
	// Environment under environments/ (its stacks root and chart are checked).
	// +default="staging"
	env string,
) (string, error) {
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

// Plan the environment's stacks in dependency order (parallel by waves), printing each stack's
// output as one block and a summary. With --changed-files only the stacks the change touches, plus their
// dependents, are planned.
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
	// text, markdown or json.
	// +default="text"
	format string,
) (string, error) {
	return m.stackAction(ctx, env, stack, changedFiles, format, stackrun.ActionPlan)
}

// Plan and apply the environment's stacks in dependency order; a failed stack stops its
// dependents, independent branches finish.
// +cache="never"
func (m *Delivery) Apply(
	ctx context.Context,
	// Environment under environments/.
	env string,
	// Only these stacks.
	// +optional
	stack []string,
	// text, markdown or json.
	// +default="text"
	format string,
) (string, error) {
	return m.stackAction(ctx, env, stack, nil, format, stackrun.ActionApply)
}

// Plan every stack with -detailed-exitcode and reports the ones whose real infrastructure
// differs from the code. Text and markdown fail when anything drifted; json reports exit code 2.
// +cache="never"
func (m *Delivery) Drift(
	ctx context.Context,
	// Environment under environments/.
	env string,
	// text, markdown or json.
	// +default="text"
	format string,
) (string, error) {
	return m.stackAction(ctx, env, nil, nil, format, stackrun.ActionDrift)
}

func (m *Delivery) stackAction(ctx context.Context, env string, stacks []string, changedFiles *dagger.File, format string, action stackrun.Action) (string, error) {
	if err := render.Format(format).Check(); err != nil {
		return "", err
	}
	e, err := m.environment(ctx, env)
	if err != nil {
		return "", err
	}
	var log bytes.Buffer
	r, err := m.stackRunner(ctx, e, stacks, changedFiles, &log)
	if errors.Is(err, errNoStacksAffected) {
		return render.NoStacks(render.Format(format), err.Error())
	}
	if err != nil {
		return "", err
	}
	var s *stackrun.Summary
	switch action {
	case stackrun.ActionApply:
		s = r.Apply(ctx)
	case stackrun.ActionDrift:
		s = r.Drift(ctx)
	default:
		s = r.Plan(ctx)
	}
	exit := 0
	if action == stackrun.ActionDrift && len(s.Drifted()) > 0 {
		exit = 2
	}
	out, err := render.Stacks(render.Format(format), s, log.String(), exit)
	if err != nil {
		return "", err
	}
	if format != string(render.FormatJSON) {
		if !s.OK() {
			return "", fmt.Errorf("%s %s failed:\n%s", action, env, out)
		}
		if exit == 2 {
			return "", fmt.Errorf("drift in %s: %s\n%s", env, strings.Join(s.Drifted(), ", "), out)
		}
	}
	return out, nil
}
