package main

import (
	"context"
	"fmt"

	"dagger/delivery/internal/dagger"

	"github.com/platformteam/delivery/pkg/pipeline"
)

// The whole pipeline: (optionally) apply the infrastructure; build the image once and publish it —
// or, with --artifact, promote the image another environment verified, by digest, without building;
// deploy that digest to ECS and EKS at the same time; verify what runs; and print what changed —
// stacks, digest, task definition old → new, Helm revision old → new, each step's duration. The
// algorithm (order, skip rules, the split-result policy, exit codes) is pkg/pipeline's.
// +cache="never"
func (m *Delivery) Deploy(
	ctx context.Context,
	// Environment under environments/.
	env string,
	// Apply the Terraform stacks first (production: only with --infra-bundle and --approve).
	// +optional
	infra bool,
	// The reviewed plan bundle to apply with --infra (the directory `plan` returned).
	// +optional
	infraBundle *dagger.Directory,
	// Confirm applying the reviewed bundle to a production environment.
	// +optional
	approve bool,
	// artifact.json verified in another environment: promote it (copy by digest) instead of building.
	// Required for a production environment.
	// +optional
	artifact *dagger.File,
	// text, markdown or json (a ghactions report carrying the exit code; the call itself succeeds).
	// +default="text"
	format string,
) (string, error) {
	f := pipeline.Format(format)
	if err := f.Check(); err != nil {
		return "", err
	}
	e, err := m.environment(ctx, env)
	if err != nil {
		return "", err
	}
	from, err := optionalArtifact(ctx, artifact)
	if err != nil {
		return "", err
	}
	if from == nil {
		if _, err := m.commit(ctx); err != nil {
			return "", err
		}
	}
	eng, err := m.engine(ctx, e)
	if err != nil {
		return "", err
	}
	s := &stages{m: m, eng: eng, infraBundle: infraBundle, approve: approve}
	run := pipeline.Deploy(ctx, s, pipeline.Request{
		Env: e.Name, Production: e.Production, Infra: infra, Artifact: from, Accounts: accounts(e.AccountID, from),
		StrictVerify: !e.Local(),
	})
	out, err := run.Render(f)
	if err != nil {
		return "", err
	}
	if run.ExitCode != 0 && f != pipeline.FormatJSON {
		return "", fmt.Errorf("%w (exit code %d)\n\n%s", run.Err, run.ExitCode, out)
	}
	return out, nil
}
