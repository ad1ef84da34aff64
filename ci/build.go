package main

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"dagger/delivery/internal/dagger"

	"github.com/platformteam/delivery/pkg/environment"
)

var fullSHA = regexp.MustCompile(`^[0-9a-f]{40}$`)
var shortSHA = regexp.MustCompile(`^[0-9a-f]{7,40}$`)

// commit is the short (7 character) SHA that tags the image: --commit, else the source's .git metadata.
func (m *Delivery) commit(ctx context.Context) (string, error) {
	if m.Commit != "" {
		c := strings.ToLower(m.Commit)
		if !shortSHA.MatchString(c) {
			return "", fmt.Errorf("--commit %q is not a git commit SHA (7-40 hex characters)", m.Commit)
		}
		return c[:7], nil
	}
	head, err := m.Source.File(".git/HEAD").Contents(ctx)
	if err != nil {
		return "", fmt.Errorf("no --commit and no .git metadata in the source: pass --commit $(git rev-parse HEAD)")
	}
	head = strings.TrimSpace(head)
	if fullSHA.MatchString(head) {
		return head[:7], nil
	}
	ref, ok := strings.CutPrefix(head, "ref: ")
	if !ok {
		return "", fmt.Errorf(".git/HEAD holds %q: pass --commit", head)
	}
	if sha, err := m.Source.File(".git/" + ref).Contents(ctx); err == nil && fullSHA.MatchString(strings.TrimSpace(sha)) {
		return strings.TrimSpace(sha)[:7], nil
	}
	if packed, err := m.Source.File(".git/packed-refs").Contents(ctx); err == nil {
		for _, line := range strings.Split(packed, "\n") {
			if sha, name, ok := strings.Cut(strings.TrimSpace(line), " "); ok && name == ref && fullSHA.MatchString(sha) {
				return sha[:7], nil
			}
		}
	}
	return "", fmt.Errorf("HEAD points at %s, which has no commit: commit first or pass --commit", ref)
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

func (m *Delivery) build(env *environment.Environment, sha string) *dagger.Container {
	return m.Source.Directory(env.Image.Context).DockerBuild(dagger.DirectoryDockerBuildOpts{
		BuildArgs: []dagger.BuildArg{
			{Name: "GO_IMAGE", Value: env.Images.Go},
			{Name: "RUNTIME_IMAGE", Value: env.Images.Runtime},
			{Name: "BUILD_VERSION", Value: sha},
			{Name: "COMMIT_SHA", Value: sha},
		},
	})
}
