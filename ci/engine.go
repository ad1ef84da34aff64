package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"dagger/delivery/internal/dagger"

	"github.com/platformteam/delivery/pkg/artifact"
	"github.com/platformteam/delivery/pkg/environment"
	"github.com/platformteam/delivery/pkg/release/api"
)

// jobPath is where the release engine finds its job (the environment resolved once, and the artifact).
const jobPath = "/work/job.json"

// engine is the release engine's container for one environment: the toolbox with AWS access, the
// registry and the cluster wired in. Build it once per function and run commands on it with run.
type engine struct {
	ctr  *dagger.Container
	env  *environment.Environment
	twin *twinAccess // nil: the environment's own account
}

func (m *Delivery) engine(ctx context.Context, env *environment.Environment) (*engine, error) {
	twin, err := m.twinAccess(ctx, env)
	if err != nil {
		return nil, err
	}
	ctr, err := m.withKube(ctx, m.withRegistry(m.withAWS(m.toolbox(env, m.Source), env), env), env)
	if err != nil {
		return nil, err
	}
	return &engine{ctr: twin.bind(ctr), env: env, twin: twin}, nil
}

// runResult is one engine command's outcome: its JSON result (when it printed one), its exit code, and
// an error when it failed.
type runResult[T any] struct {
	Result T
	// Printed is true when the command printed a result (also on exits 3, 4 and 5).
	Printed bool
	Code    int
}

// run runs `release <args> --job /work/job.json --root /src --json` and decodes its stdout strictly
// into T (api.Decode: a decode error is an error). with adds per-command inputs to the container.
// Side effects: never served from the cache.
func run[T any](ctx context.Context, e *engine, art *artifact.Artifact, with func(*dagger.Container) *dagger.Container, args ...string) (runResult[T], error) {
	var out runResult[T]
	j := api.Job{Environment: e.env, Artifact: art}
	if e.twin != nil {
		j.Twin, j.Dial = e.twin.decl, e.twin.dial
	}
	job, err := json.Marshal(j)
	if err != nil {
		return out, fmt.Errorf("encode the job for the release engine: %w", err)
	}
	ctr := e.ctr.WithNewFile(jobPath, string(job))
	if with != nil {
		ctr = with(ctr)
	}
	name := "release " + strings.Join(args[:min(2, len(args))], " ")
	full := append(append([]string{"release"}, args...), "--job", jobPath, "--root", srcRoot, "--json")
	ctr = fresh(ctr).WithExec(full, dagger.ContainerWithExecOpts{Expect: dagger.ReturnTypeAny})
	if out.Code, err = ctr.ExitCode(ctx); err != nil {
		return out, fmt.Errorf("%s: %w", name, err)
	}
	stdout, err := ctr.Stdout(ctx)
	if err != nil {
		return out, fmt.Errorf("%s: read its result: %w", name, err)
	}
	var failure error
	if out.Code != api.ExitOK {
		stderr, _ := ctr.Stderr(ctx)
		failure = &engineError{Name: name, Code: out.Code, Stderr: lastLines(stderr, 12)}
	}
	if strings.TrimSpace(stdout) == "" {
		if failure == nil {
			return out, fmt.Errorf("%s printed no result", name)
		}
		return out, failure
	}
	if out.Result, err = api.Decode[T]([]byte(stdout)); err != nil {
		return out, fmt.Errorf("%s: its result does not match the contract (pkg/release/api): %w", name, err)
	}
	out.Printed = true
	return out, failure
}

// engineError is a release command that exited non-zero; Code is its exit code (api.Exit*).
type engineError struct {
	Name   string
	Code   int
	Stderr string
}

func (e *engineError) Error() string {
	return fmt.Sprintf("%s exited %d:\n%s", e.Name, e.Code, e.Stderr)
}

// readArtifact validates a user-given artifact.json before anything runs.
func readArtifact(ctx context.Context, f *dagger.File) (*artifact.Artifact, error) {
	if f == nil {
		return nil, fmt.Errorf("--artifact is required: pass the artifact.json written by `publish` (dagger call publish --env <env> -o artifact.json)")
	}
	raw, err := f.Contents(ctx)
	if err != nil {
		return nil, fmt.Errorf("read --artifact: %w", err)
	}
	a, err := artifact.Parse([]byte(raw))
	if err != nil {
		return nil, fmt.Errorf("--artifact: %w", err)
	}
	return a, nil
}

// optionalArtifact is readArtifact for an optional file (nil: none).
func optionalArtifact(ctx context.Context, f *dagger.File) (*artifact.Artifact, error) {
	if f == nil {
		return nil, nil
	}
	return readArtifact(ctx, f)
}

// lastLines keeps the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// accounts are the AWS accounts a run touches, which its report masks: the environment's, and the
// source registry's when promoting from another account's ECR.
func accounts(env string, from *artifact.Artifact) []string {
	if from != nil && from.Image.Account() != "" && from.Image.Account() != env {
		return []string{env, from.Image.Account()}
	}
	return []string{env}
}
