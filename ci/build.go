package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"path"
	"time"

	"dagger/delivery/internal/dagger"

	"github.com/platformteam/delivery/pkg/artifact"
	"github.com/platformteam/delivery/pkg/environment"
	"github.com/platformteam/delivery/pkg/supplychain/provenance"
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
// commit baked in and its base images pinned by digest. Nothing is pushed. Never cached as a call:
// pinning reads the registry, and a base tag that moved must be resolved again.
// +cache="never"
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
	bases, err := pinBaseImages(ctx, e)
	if err != nil {
		return nil, err
	}
	return m.build(e, sha, bases), nil
}

// moduleName is this Dagger module's name (dagger.json): the builder the provenance names.
const moduleName = "delivery"

// dockerfile is the build context's Dockerfile.
const dockerfile = "Dockerfile"

// pinBaseImages resolves the environment's base images (images.go, images.runtime: tags or digests)
// to the digests the build will use, once, before it starts: the build never starts from a tag that
// can move, and the provenance records both (docs/supply-chain.md).
func pinBaseImages(ctx context.Context, env *environment.Environment) ([]provenance.BaseImage, error) {
	var out []provenance.BaseImage
	for _, b := range []struct{ role, setting, ref string }{
		{"go", "images.go", env.Images.Go},
		{"runtime", "images.runtime", env.Images.Runtime},
	} {
		resolved := ""
		if b.ref != "scratch" {
			var err error
			if resolved, err = dag.Container().From(b.ref).ImageRef(ctx); err != nil {
				return nil, fmt.Errorf("base image %s (%s in %s/%s/%s) cannot be resolved to a digest: %v",
					b.ref, b.setting, environment.Dir, env.Name, environment.FileName, err)
			}
		}
		pinned, err := provenance.Pin(b.role, b.ref, resolved)
		if err != nil {
			return nil, err
		}
		out = append(out, pinned)
	}
	return out, nil
}

// buildArgs are the Dockerfile's build arguments: the base images pinned, the commit baked in.
func buildArgs(commit artifact.Commit, bases []provenance.BaseImage) map[string]string {
	args := map[string]string{"BUILD_VERSION": commit.Short(), "COMMIT_SHA": commit.Short()}
	for _, b := range bases {
		args[map[string]string{"go": "GO_IMAGE", "runtime": "RUNTIME_IMAGE"}[b.Role]] = b.Reference()
	}
	return args
}

func (m *Delivery) build(env *environment.Environment, commit artifact.Commit, bases []provenance.BaseImage) *dagger.Container {
	args := buildArgs(commit, bases)
	var list []dagger.BuildArg
	for _, k := range []string{"GO_IMAGE", "RUNTIME_IMAGE", "BUILD_VERSION", "COMMIT_SHA"} {
		list = append(list, dagger.BuildArg{Name: k, Value: args[k]})
	}
	return m.Source.Directory(env.Image.Context).DockerBuild(dagger.DirectoryDockerBuildOpts{
		Dockerfile: dockerfile, BuildArgs: list,
	})
}

// buildRecord is what the build knows about itself, for the provenance the release engine signs.
func buildRecord(ctx context.Context, env *environment.Environment, commit artifact.Commit, bases []provenance.BaseImage, started, finished time.Time) (provenance.Build, error) {
	engine, err := dag.Version(ctx)
	if err != nil {
		return provenance.Build{}, fmt.Errorf("read the Dagger engine version: %w", err)
	}
	id := make([]byte, 8)
	_, _ = rand.Read(id)
	return provenance.Build{
		Commit: commit.String(), Environment: env.Name, Context: env.Image.Context, Dockerfile: dockerfile,
		BuildArgs: buildArgs(commit, bases), BaseImages: bases, DaggerEngine: engine, DaggerModule: moduleName,
		InvocationID: hex.EncodeToString(id), StartedOn: started.UTC(), FinishedOn: finished.UTC(),
	}, nil
}
