package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"dagger/delivery/internal/dagger"
	"dagger/delivery/render"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecr"

	"github.com/platformteam/delivery/pkg/artifact"
	"github.com/platformteam/delivery/pkg/environment"
	"github.com/platformteam/delivery/pkg/image"
)

// artifactPath is where stages find artifact.json in their container.
const artifactPath = "/work/artifact.json"

// releaseCtr is the toolbox wired for release commands against env: AWS, the cluster, the registry.
func (m *Delivery) releaseCtr(ctx context.Context, env *environment.Environment) (*dagger.Container, error) {
	ctr := m.withRegistry(m.withAWS(m.toolbox(env, m.Source), env), env)
	return m.withKube(ctx, ctr, env)
}

// releaseExec runs `release <args> --env <env> --root /src --json` and returns its JSON stdout and exit
// code. Side effects: never served from cache.
func releaseExec(ctx context.Context, ctr *dagger.Container, env *environment.Environment, args ...string) (string, int, error) {
	full := append([]string{"release"}, args...)
	full = append(full, "--env", env.Name, "--root", srcRoot, "--json")
	ctr = fresh(ctr).WithExec(full, dagger.ContainerWithExecOpts{Expect: dagger.ReturnTypeAny})
	code, err := ctr.ExitCode(ctx)
	if err != nil {
		return "", 0, fmt.Errorf("release %s: %w", strings.Join(args[:2], " "), err)
	}
	out, err := ctr.Stdout(ctx)
	if err != nil {
		return "", code, err
	}
	if code != 0 {
		stderr, _ := ctr.Stderr(ctx)
		return out, code, fmt.Errorf("release %s exited %d: %s", strings.Join(args[:2], " "), code, render.LastLines(stderr, 8))
	}
	return out, 0, nil
}

// registryFor returns where env's image is pushed, logged in: the sandbox registry (plain HTTP, no
// auth) or the account's ECR, whose token never leaves this process except as a Dagger secret.
func (m *Delivery) registryFor(ctx context.Context, env *environment.Environment) (string, *dagger.Container, func(*dagger.Container) *dagger.Container, error) {
	if env.Endpoints.Registry != "" {
		return env.Endpoints.Registry, nil, func(c *dagger.Container) *dagger.Container { return c }, nil
	}
	cfg, err := m.awsConfigInModule(ctx, env)
	if err != nil {
		return "", nil, nil, err
	}
	reg, err := image.ECR(ctx, ecr.NewFromConfig(cfg))
	if err != nil {
		return "", nil, nil, err
	}
	basic, err := reg.Auth.Authorization()
	if err != nil {
		return "", nil, nil, fmt.Errorf("ECR credentials: %w", err)
	}
	secret := dag.SetSecret("ecr-password-"+env.Name, basic.Password)
	return reg.Host, nil, func(c *dagger.Container) *dagger.Container {
		return c.WithRegistryAuth(reg.Host, basic.Username, secret)
	}, nil
}

// awsConfigInModule builds an SDK config from the secrets, for the calls the module makes itself.
func (m *Delivery) awsConfigInModule(ctx context.Context, env *environment.Environment) (aws.Config, error) {
	if m.AwsAccessKeyID == nil {
		return aws.Config{}, fmt.Errorf("pushing to ECR needs --aws-access-key-id/--aws-secret-access-key (profiles are not supported for the push)")
	}
	id, err := m.AwsAccessKeyID.Plaintext(ctx)
	if err != nil {
		return aws.Config{}, err
	}
	key, err := m.AwsSecretAccessKey.Plaintext(ctx)
	if err != nil {
		return aws.Config{}, err
	}
	token := ""
	if m.AwsSessionToken != nil {
		if token, err = m.AwsSessionToken.Plaintext(ctx); err != nil {
			return aws.Config{}, err
		}
	}
	return aws.Config{Region: env.Region, Credentials: credentials.NewStaticCredentialsProvider(id, key, token)}, nil
}

// Build the app image (once: the build is cached by content) and pushes it tagged with the
// short commit SHA. It returns artifact.json — commit, repository, digest — the only contract between
// this stage and the deploys; the digest comes from the push and is confirmed with one registry request.
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
	art, err := m.publish(ctx, e)
	if err != nil {
		return "", err
	}
	return art, nil
}

func (m *Delivery) publish(ctx context.Context, env *environment.Environment) (string, error) {
	sha, err := m.commit(ctx)
	if err != nil {
		return "", err
	}
	host, _, login, err := m.registryFor(ctx, env)
	if err != nil {
		return "", err
	}
	ref, err := login(m.build(env, sha)).Publish(ctx, host+"/"+env.Image.Repository+":"+sha)
	if err != nil {
		return "", fmt.Errorf("push %s/%s:%s: %w", host, env.Image.Repository, sha, err)
	}
	ctr, err := m.releaseCtr(ctx, env)
	if err != nil {
		return "", err
	}
	out, _, err := releaseExec(ctx, ctr.WithEnvVariable("DELIVERY_COMMIT", sha), env,
		"artifact", "write", "--ref", ref, "--commit", sha, "--artifact", artifactPath)
	if err != nil {
		return "", err
	}
	a, err := artifact.Parse([]byte(out))
	if err != nil {
		return "", fmt.Errorf("artifact written by the publish step: %w", err)
	}
	b, err := json.MarshalIndent(a, "", "  ")
	return string(b) + "\n", err
}

// kubeArgs adds --kubeconfig when one was given: the mounted file wins over the environment's path.
func (m *Delivery) kubeArgs(args ...string) []string {
	if m.Kubeconfig == nil {
		return args
	}
	return append(args, "--kubeconfig", kubeconfigPath)
}

// withArtifact puts artifact.json into a container after validating it (bad input fails here, before
// any deploy talks to a cluster).
func withArtifact(ctx context.Context, ctr *dagger.Container, f *dagger.File) (*dagger.Container, *artifact.Artifact, error) {
	if f == nil {
		return nil, nil, fmt.Errorf("--artifact is required: pass the artifact.json written by `publish` (dagger call publish --env <env> -o artifact.json)")
	}
	raw, err := f.Contents(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("read --artifact: %w", err)
	}
	a, err := artifact.Parse([]byte(raw))
	if err != nil {
		return nil, nil, fmt.Errorf("--artifact: %w", err)
	}
	return ctr.WithNewFile(artifactPath, raw), a, nil
}

// Deploy the artifact's digest to the environment's ECS service: a new task definition
// revision from the live one, update-service, wait for the new revision to be PRIMARY and COMPLETED;
// on failure the previous revision is restored (exit code 3; 4 when it could not be).
// +cache="never"
func (m *Delivery) DeployEcs(
	ctx context.Context,
	// Environment under environments/.
	env string,
	// artifact.json from `publish`.
	artifact *dagger.File,
) (string, error) {
	e, err := m.environment(ctx, env)
	if err != nil {
		return "", err
	}
	r, err := m.deployECS(ctx, e, artifact)
	if err != nil {
		return "", err
	}
	return render.ECSLine(r), nil
}

func (m *Delivery) deployECS(ctx context.Context, env *environment.Environment, art *dagger.File) (render.ECSResult, error) {
	return releaseWithArtifact[render.ECSResult](ctx, m, env, art, "ecs", "deploy")
}

// releaseWithArtifact runs a release command that reads artifact.json and decodes its JSON result; the
// result is returned even when the command failed (it says what failed and what was restored).
func releaseWithArtifact[T any](ctx context.Context, m *Delivery, env *environment.Environment, art *dagger.File, args ...string) (T, error) {
	var r T
	ctr, err := m.releaseCtr(ctx, env)
	if err != nil {
		return r, err
	}
	ctr, _, err = withArtifact(ctx, ctr, art)
	if err != nil {
		return r, err
	}
	out, _, runErr := releaseExec(ctx, ctr, env, append(args, "--artifact", artifactPath)...)
	if out != "" {
		_ = json.Unmarshal([]byte(out), &r)
	}
	return r, runErr
}

// Deploy the artifact's digest to the environment's EKS cluster with Helm: the chart is
// rendered first (a broken chart fails before the cluster is touched), stuck releases are healed, then
// upgrade --install with atomic + wait, failing fast on pods that can never start.
// +cache="never"
func (m *Delivery) DeployEks(
	ctx context.Context,
	// Environment under environments/.
	env string,
	// artifact.json from `publish`.
	artifact *dagger.File,
) (string, error) {
	e, err := m.environment(ctx, env)
	if err != nil {
		return "", err
	}
	r, err := m.deployEKS(ctx, e, artifact)
	if err != nil {
		return "", err
	}
	return render.HelmLine(r), nil
}

func (m *Delivery) deployEKS(ctx context.Context, env *environment.Environment, art *dagger.File) (render.HelmResult, error) {
	return releaseWithArtifact[render.HelmResult](ctx, m, env, art, m.kubeArgs("eks", "deploy")...)
}

// Check that what runs on ECS (tasks) and EKS (pods) is the artifact's digest.
// +cache="never"
func (m *Delivery) Verify(
	ctx context.Context,
	// Environment under environments/.
	env string,
	// artifact.json from `publish`.
	artifact *dagger.File,
) (string, error) {
	e, err := m.environment(ctx, env)
	if err != nil {
		return "", err
	}
	return m.verify(ctx, e, artifact)
}

func (m *Delivery) verify(ctx context.Context, env *environment.Environment, art *dagger.File) (string, error) {
	ctr, err := m.releaseCtr(ctx, env)
	if err != nil {
		return "", err
	}
	ctr, a, err := withArtifact(ctx, ctr, art)
	if err != nil {
		return "", err
	}
	if _, _, err := releaseExec(ctx, ctr, env, m.kubeArgs("verify", "--artifact", artifactPath)...); err != nil {
		return "", err
	}
	return fmt.Sprintf("verify: ECS and EKS run %s\n", a.Digest), nil
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
	if target != "ecs" && target != "eks" {
		return "", fmt.Errorf("--target %q: use ecs or eks", target)
	}
	e, err := m.environment(ctx, env)
	if err != nil {
		return "", err
	}
	ctr, err := m.releaseCtr(ctx, e)
	if err != nil {
		return "", err
	}
	args := []string{target, "rollback"}
	if to != "" {
		args = append(args, "--to", to)
	}
	if target == "eks" {
		args = m.kubeArgs(args...)
	}
	out, _, err := releaseExec(ctx, ctr, e, args...)
	if err != nil {
		return "", err
	}
	return render.RollbackLine(target, out), nil
}
