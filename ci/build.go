package main

import (
	"context"
	"fmt"
	"path"

	"dagger/delivery/internal/dagger"

	"github.com/platformteam/delivery/pkg/artifact"
	"github.com/platformteam/delivery/pkg/environment"
)

// commit is the commit that tags the image: --commit, else the source's .git metadata (read with the
// one commit reader, artifact.HeadCommit, over the uploaded directory).
func (m *Delivery) commit(ctx context.Context) (artifact.Commit, error) {
	if m.Commit != "" {
		c, err := artifact.ParseCommit(m.Commit)
		if err != nil {
			return artifact.Commit{}, fmt.Errorf("--commit: %w", err)
		}
		return c, nil
	}
	c, err := artifact.HeadCommit(m.sourceReader(ctx))
	if err != nil {
		return artifact.Commit{}, fmt.Errorf("%w: pass --commit $(git rev-parse HEAD)", err)
	}
	return c, nil
}

// sourceReader reads files of the uploaded source; nothing outside it is reachable.
func (m *Delivery) sourceReader(ctx context.Context) artifact.ReadFile {
	return func(name string) ([]byte, error) {
		if path.IsAbs(name) {
			return nil, fmt.Errorf("%s is outside the uploaded source", name)
		}
		s, err := m.Source.File(name).Contents(ctx)
		return []byte(s), err
	}
}

// Build the app image once, from the environment's build context (default app/), with the
// commit baked in. Nothing is pushed.
func (m *Delivery) Build(
	ctx context.Context,
	// Environment under environments/.
	env string,
) (*dagger.Container, error) {
	e, err := m.offlineEnvironment(ctx, env)
	if err != nil {
		return nil, err
	}
	sha, err := m.commit(ctx)
	if err != nil {
		return nil, err
	}
	return m.build(e, sha), nil
}

func (m *Delivery) build(env *environment.Environment, commit artifact.Commit) *dagger.Container {
	sha := commit.Short()
	return m.Source.Directory(env.Image.Context).DockerBuild(dagger.DirectoryDockerBuildOpts{
		BuildArgs: []dagger.BuildArg{
			{Name: "GO_IMAGE", Value: env.Images.Go},
			{Name: "RUNTIME_IMAGE", Value: env.Images.Runtime},
			{Name: "BUILD_VERSION", Value: sha},
			{Name: "COMMIT_SHA", Value: sha},
		},
	})
}
