package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"dagger/delivery/internal/dagger"

	"github.com/platformteam/delivery/pkg/artifact"
	"github.com/platformteam/delivery/pkg/pipeline"
	"github.com/platformteam/delivery/pkg/release/api"
)

// imagePath is where the built image (an OCI tarball) is mounted for the release engine to push, and
// buildPath the build record (provenance.Build) it signs as the image's SLSA provenance.
const (
	imagePath = "/work/image.tar"
	buildPath = "/work/build.json"
)

// Build the app image once (unless the commit is already published) and push it, through the release
// engine and the same AWS credentials as every deploy, tagged with the short commit SHA. It returns
// artifact.json — commit, repository, digest — the only contract between this stage and the deploys.
// Tags are immutable: a commit already published is reused, never rebuilt or pushed again.
// +cache="never"
func (m *Delivery) Publish(
	ctx context.Context,
	// Environment under environments/.
	env string,
) (string, error) {
	e, err := m.environment(ctx, env)
	if err != nil {
		return "", err
	}
	eng, err := m.engine(ctx, e)
	if err != nil {
		return "", err
	}
	pub, err := (&stages{m: m, eng: eng}).Publish(ctx)
	if err != nil {
		return "", err
	}
	return marshalArtifact(pub.Artifact)
}

// Copy the image of an artifact verified in another environment into this environment's repository,
// by digest (across accounts: this environment's role reads the source repository, which its policy
// must allow, and writes its own). Nothing is built. It returns the artifact of the copy.
// +cache="never"
func (m *Delivery) Promote(
	ctx context.Context,
	// Environment under environments/ to promote into.
	env string,
	// artifact.json of the environment the image was verified in.
	artifact *dagger.File,
) (string, error) {
	e, err := m.environment(ctx, env)
	if err != nil {
		return "", err
	}
	from, err := readArtifact(ctx, artifact)
	if err != nil {
		return "", err
	}
	eng, err := m.engine(ctx, e)
	if err != nil {
		return "", err
	}
	pub, err := (&stages{m: m, eng: eng}).Promote(ctx, from)
	if err != nil {
		return "", err
	}
	return marshalArtifact(pub.Artifact)
}

// Deploy the artifact's digest to the environment's ECS service: a new task definition
// revision from the live one, update-service, wait for the new revision to be PRIMARY and COMPLETED;
// on failure the previous revision is restored. The artifact's image must be in the environment's
// repository (promote it first).
// +cache="never"
func (m *Delivery) DeployEcs(
	ctx context.Context,
	// Environment under environments/.
	env string,
	// artifact.json from `publish` or `promote`.
	artifact *dagger.File,
) (string, error) {
	s, art, err := m.stagesFor(ctx, env, artifact)
	if err != nil {
		return "", err
	}
	res, err := s.DeployECS(ctx, art)
	if err != nil {
		return "", err
	}
	line := "ecs: " + rolloutLine(res.Rollout()) + "\n"
	if s := res.StrategySummary(); s != "" {
		line += "ecs: " + s + "\n"
	}
	return line, nil
}

// Deploy the artifact's digest to the environment's EKS cluster with Helm: the chart is
// rendered first (a broken chart fails before the cluster is touched), stuck releases are healed, then
// upgrade --install with atomic + wait, failing fast on pods that can never start.
// +cache="never"
func (m *Delivery) DeployEks(
	ctx context.Context,
	// Environment under environments/.
	env string,
	// artifact.json from `publish` or `promote`.
	artifact *dagger.File,
) (string, error) {
	s, art, err := m.stagesFor(ctx, env, artifact)
	if err != nil {
		return "", err
	}
	res, err := s.DeployEKS(ctx, art)
	if err != nil {
		return "", err
	}
	return "eks: " + rolloutLine(res.Rollout()) + "\n", nil
}

// Check that what runs on ECS (tasks) and EKS (pods) is the artifact's digest.
// +cache="never"
func (m *Delivery) Verify(
	ctx context.Context,
	// Environment under environments/.
	env string,
	// artifact.json from `publish` or `promote`.
	artifact *dagger.File,
) (string, error) {
	s, art, err := m.stagesFor(ctx, env, artifact)
	if err != nil {
		return "", err
	}
	rep, err := s.Verify(ctx, art)
	if err == nil {
		err = rep.Err(!s.eng.env.Local()) // AWS reports task imageDigest and pod imageID: no fallback
	}
	if err != nil {
		return "", err
	}
	line := fmt.Sprintf("verify: ECS and EKS run %s (%d checks)", art.Digest(), len(rep.Checks))
	for _, d := range rep.SupplyChain {
		line += "; " + d.Image + ": " + d.Summary()
	}
	return line + "\n", nil
}

// Restore the previous (or --to) version on one target: the ECS service's previous task
// definition revision, or the Helm release's previous revision.
// +cache="never"
func (m *Delivery) Rollback(
	ctx context.Context,
	// Environment under environments/.
	env string,
	// ecs or eks.
	target string,
	// Revision to restore: a task definition revision number or ARN (ecs), a Helm revision (eks).
	// Default: the previous one.
	// +optional
	to string,
) (string, error) {
	if target != string(api.ECS) && target != string(api.EKS) {
		return "", fmt.Errorf("--target %q: use ecs or eks", target)
	}
	e, err := m.environment(ctx, env)
	if err != nil {
		return "", err
	}
	eng, err := m.engine(ctx, e)
	if err != nil {
		return "", err
	}
	s := &stages{m: m, eng: eng}
	if target == string(api.ECS) {
		r, err := s.rollbackECS(ctx, to)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("ecs: rolled back, task definition %s → %s (%s)\n", api.ShortARN(r.From), api.ShortARN(r.To), r.Image), nil
	}
	r, err := s.rollbackEKS(ctx, to)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("eks: rolled back, helm revision %d → %d (content of revision %d)\n", r.From, r.To, r.Target), nil
}

// Replace every task (ecs) or pod (eks) with an identical one — same task definition revision or
// Helm revision, same image digest — and wait like a deploy (failing fast on pods that can never
// start). After a secret rotation, the new tasks and pods read the new value. It holds the deploy lock
// of the service or release, and prints the tasks or pods before and after.
// +cache="never"
func (m *Delivery) Restart(
	ctx context.Context,
	// Environment under environments/.
	env string,
	// ecs or eks.
	target string,
) (string, error) {
	eng, err := m.targetEngine(ctx, env, target)
	if err != nil {
		return "", err
	}
	var lines []string
	if target == string(api.ECS) {
		r, err := run[api.ECSRestart](ctx, eng, nil, nil, m.lockArgs("ecs", "restart")...)
		if err != nil {
			return "", err
		}
		lines = r.Result.Lines()
	} else {
		r, err := run[api.EKSRestart](ctx, eng, nil, nil, m.lockArgs(m.kubeArgs("eks", "restart")...)...)
		if err != nil {
			return "", err
		}
		lines = r.Result.Lines()
	}
	return strings.Join(lines, "\n") + "\n", nil
}

// List what was deployed: the ECS service's task definition revisions (the running one marked), or
// the Helm release's revisions, newest first, each with its image.
// +cache="never"
func (m *Delivery) History(
	ctx context.Context,
	// Environment under environments/.
	env string,
	// ecs or eks.
	target string,
) (string, error) {
	eng, err := m.targetEngine(ctx, env, target)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	if target == string(api.ECS) {
		r, err := run[api.ECSHistory](ctx, eng, nil, nil, "ecs", "history")
		if err != nil {
			return "", err
		}
		r.Result.Print(&b)
	} else {
		r, err := run[[]api.EKSRevision](ctx, eng, nil, nil, m.kubeArgs("eks", "history")...)
		if err != nil {
			return "", err
		}
		api.PrintEKSHistory(&b, r.Result)
	}
	return b.String(), nil
}

// targetEngine checks --target, then builds the environment's release engine.
func (m *Delivery) targetEngine(ctx context.Context, env, target string) (*engine, error) {
	if target != string(api.ECS) && target != string(api.EKS) {
		return nil, fmt.Errorf("--target %q: use ecs or eks", target)
	}
	e, err := m.environment(ctx, env)
	if err != nil {
		return nil, err
	}
	return m.engine(ctx, e)
}

// stagesFor is the environment, its engine and a validated artifact.
func (m *Delivery) stagesFor(ctx context.Context, env string, f *dagger.File) (*stages, *artifact.Artifact, error) {
	e, err := m.environment(ctx, env)
	if err != nil {
		return nil, nil, err
	}
	art, err := readArtifact(ctx, f)
	if err != nil {
		return nil, nil, err
	}
	eng, err := m.engine(ctx, e)
	if err != nil {
		return nil, nil, err
	}
	return &stages{m: m, eng: eng}, art, nil
}

// stages runs the pipeline's stages with the release engine (pipeline.Stages).
type stages struct {
	m   *Delivery
	eng *engine
	// infraBundle and approve are deploy --infra's reviewed plan bundle and production approval.
	infraBundle *dagger.Directory
	approve     bool
}

var _ pipeline.Stages = (*stages)(nil)

// Infra applies the environment's stacks (the stack engine runs here, terraform in containers).
func (s *stages) Infra(ctx context.Context) (pipeline.Infra, error) {
	var log bytes.Buffer
	sum, err := s.m.applyInfra(ctx, s.eng.env, s.infraBundle, s.approve, &log)
	if err != nil {
		return pipeline.Infra{}, err
	}
	inf := pipeline.Infra{Stacks: pipeline.StackChanges(sum), Failed: sum.Count("failed")}
	if !sum.OK() {
		return inf, fmt.Errorf("apply failed:\n%s\n%s", sum.Markdown(), log.String())
	}
	return inf, nil
}

// Publish builds the commit's image and has the release engine push it — unless the registry already
// holds the commit's tag: a commit is built once. The lookup runs while the build starts.
func (s *stages) Publish(ctx context.Context) (api.Publication, error) {
	sha, err := s.m.commit(ctx)
	if err != nil {
		return api.Publication{}, err
	}
	bases, err := pinBaseImages(ctx, s.eng.env)
	if err != nil {
		return api.Publication{}, err
	}
	tarball := s.m.build(s.eng.env, sha, bases).AsTarball()
	buildCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	started := time.Now()
	built := make(chan error, 1)
	go func() { _, err := tarball.Sync(buildCtx); built <- err }()
	found, err := run[api.Found](ctx, s.eng, nil, nil, "image", "find", "--commit", sha.String())
	if err != nil {
		return api.Publication{}, err
	}
	if found.Result.Artifact != nil {
		return api.Publication{Artifact: found.Result.Artifact, Existed: true}, nil
	}
	if err := <-built; err != nil {
		return api.Publication{}, fmt.Errorf("build the image of commit %s: %w", sha.Short(), err)
	}
	// The release engine signs the image and attaches its SBOM and SLSA provenance, then pushes it.
	record, err := buildRecord(ctx, s.eng.env, sha, bases, started, time.Now())
	if err != nil {
		return api.Publication{}, err
	}
	recordJSON, err := json.Marshal(record)
	if err != nil {
		return api.Publication{}, err
	}
	pushed, err := run[api.Publication](ctx, s.eng, nil, func(c *dagger.Container) *dagger.Container {
		return c.WithMountedFile(imagePath, tarball).WithNewFile(buildPath, string(recordJSON))
	}, "image", "push", "--source", imagePath, "--commit", sha.String(), "--build", buildPath, "--no-artifact")
	if err != nil {
		return api.Publication{}, err
	}
	return pushed.Result, nil
}

// Promote copies an artifact's image into the environment's repository, by digest.
func (s *stages) Promote(ctx context.Context, from *artifact.Artifact) (api.Publication, error) {
	r, err := run[api.Publication](ctx, s.eng, from, nil, "image", "promote", "--out", "/work/promoted.json")
	return r.Result, err
}

// DeployECS runs `release ecs deploy`; on a failed rollout the result comes with the error.
func (s *stages) DeployECS(ctx context.Context, art *artifact.Artifact) (api.ECSResult, error) {
	r, err := run[api.ECSResult](ctx, s.eng, art, nil, s.m.lockArgs("ecs", "deploy")...)
	return r.Result, err
}

// DeployEKS runs `release eks deploy`; on a failed rollout the result comes with the error.
func (s *stages) DeployEKS(ctx context.Context, art *artifact.Artifact) (api.EKSResult, error) {
	r, err := run[api.EKSResult](ctx, s.eng, art, nil, s.m.lockArgs(s.m.kubeArgs("eks", "deploy")...)...)
	return r.Result, err
}

// Restore puts a target back on the version it ran before.
func (s *stages) Restore(ctx context.Context, target api.Target, previous string) error {
	var err error
	if target == api.ECS {
		_, err = s.rollbackECS(ctx, previous)
	} else {
		_, err = s.rollbackEKS(ctx, previous)
	}
	return err
}

func (s *stages) rollbackECS(ctx context.Context, to string) (api.ECSRollback, error) {
	args := []string{"ecs", "rollback"}
	if to != "" {
		args = append(args, "--to", to)
	}
	r, err := run[api.ECSRollback](ctx, s.eng, nil, nil, args...)
	return r.Result, err
}

func (s *stages) rollbackEKS(ctx context.Context, to string) (api.EKSRollback, error) {
	args := []string{"eks", "rollback"}
	if to != "" {
		args = append(args, "--to", to)
	}
	r, err := run[api.EKSRollback](ctx, s.eng, nil, nil, s.m.kubeArgs(args...)...)
	return r.Result, err
}

// Verify runs `release verify`; a mismatch (exit 5) is a report, not an error.
func (s *stages) Verify(ctx context.Context, art *artifact.Artifact) (api.VerifyReport, error) {
	r, err := run[api.VerifyReport](ctx, s.eng, art, nil, s.m.kubeArgs("verify")...)
	var ee *engineError
	if errors.As(err, &ee) && ee.Code == api.ExitMismatch && r.Printed {
		return r.Result, nil
	}
	return r.Result, err
}

// kubeArgs adds --kubeconfig when one was given: the mounted file wins over the environment's path.
func (m *Delivery) kubeArgs(args ...string) []string {
	if m.Kubeconfig == nil {
		return args
	}
	return append(args, "--kubeconfig", kubeconfigPath)
}

// anonymousLockOwner names a deploy lock's holder when the caller did not say who runs the call (inside
// the module's container there is no CI variable and no user: it would name the container).
const anonymousLockOwner = "dagger call (no --lock-owner given)"

// lockArgs adds --lock-owner to a command that takes a deploy lock: the caller's CI run or user@host.
func (m *Delivery) lockArgs(args ...string) []string {
	owner := m.LockOwner
	if owner == "" {
		owner = anonymousLockOwner
	}
	return append(args, "--lock-owner", owner)
}

func rolloutLine(ro api.Rollout) string {
	switch ro.Outcome {
	case api.Unchanged:
		return fmt.Sprintf("unchanged, %s %s already runs %s", ro.What, ro.Current, ro.Image)
	case api.Deployed:
		prev := ro.Previous
		if prev == "" {
			prev = "(none)"
		}
		return fmt.Sprintf("%s %s → %s (%s)", ro.What, prev, ro.Created, ro.Image)
	}
	return fmt.Sprintf("%s: %s %s runs", ro.Outcome, ro.What, ro.Current)
}

func marshalArtifact(a *artifact.Artifact) (string, error) {
	if a == nil {
		return "", errors.New("the release engine returned no artifact")
	}
	b, err := a.Marshal()
	return string(b), err
}
