// The delivery pipeline as Dagger functions: the same build → publish → deploy (ECS + EKS) → verify
// runs on a laptop, in GitHub Actions and in AWS CodeBuild.
//
// Every function is thin: it wires containers, secrets, caches and services around the project's Go
// engines (cmd/stacks for Terraform, cmd/release for images and deploys, driven through the typed
// contract of pkg/release/api) and pkg/pipeline's deploy algorithm, which hold the logic and are tested
// without an engine.
//
//	dagger call deploy --env staging
//	dagger call plan --env staging --changed-files changed.txt
//	dagger call rollback --env production --target eks
package main

import (
	"context"
	"fmt"
	"strings"

	"dagger/delivery/internal/dagger"
)

// Delivery holds what every function needs: the source, credentials and (for the local sandbox) the
// host services the pipeline talks to.
type Delivery struct {
	// +private
	Source *dagger.Directory
	// +private
	CliSource *dagger.Directory
	// +private
	Commit string
	// +private
	AwsAccessKeyID *dagger.Secret
	// +private
	AwsSecretAccessKey *dagger.Secret
	// +private
	AwsSessionToken *dagger.Secret
	// +private
	AwsConfig *dagger.Secret
	// +private
	AwsCredentials *dagger.Secret
	// +private
	AwsProfile string
	// +private
	AwsWebIdentityToken *dagger.Secret
	// +private
	AwsRoleArn string
	// +private
	Region string
	// +private
	Kubeconfig *dagger.Secret
	// +private
	AwsEndpoint *dagger.Service
	// +private
	KubeAPI *dagger.Service
	// +private
	RegistryService *dagger.Service
	// +private
	Twin *dagger.Directory
	// +private
	TwinServices []*dagger.Service
	// +private
	CancelBeacon *dagger.Service
	// +private
	GoImage string
	// +private
	ToolsImage string
	// +private
	TerraformImage string
	// +private
	LockOwner string
}

// New configures the pipeline. Credentials are Dagger secrets (env://NAME, file://PATH, cmd://...), never
// plain values; tool images default to the environment's delivery.yaml.
func New(
	// Repository root.
	// +defaultPath="/"
	// +ignore=[".git/objects", ".git/logs", ".git/hooks", ".git/index", ".git/lfs", ".git/config", ".git/modules", ".git/worktrees", ".delivery", ".cache", ".sandbox", "out", "bin", "**/.terraform", "**/*.tfstate", "**/*.tfplan"]
	source *dagger.Directory,
	// The Go sources the pipeline's own CLIs build from: go.mod, go.sum, cmd/, pkg/ and the internal
	// packages they import, without tests. Default: this repository's; leave it unset. It is an argument
	// of its own so that Dagger keys the CLIs' build by these files alone: a checkout that differs only
	// elsewhere (a fresh clone, an edited environment or stack) reuses the build.
	// +defaultPath="/"
	// +ignore=["*", "!go.mod", "!go.sum", "!cmd", "!pkg", "!internal", "internal/*", "!internal/blueprintcheck", "!internal/iampolicy", "**/*_test.go", "**/testdata"]
	cliSource *dagger.Directory,
	// Full or short git commit to build and tag (CI: $GITHUB_SHA or $CODEBUILD_RESOLVED_SOURCE_VERSION).
	// Default: read from the source's .git metadata.
	// +optional
	commit string,
	// AWS access key id.
	// +optional
	awsAccessKeyID *dagger.Secret,
	// AWS secret access key.
	// +optional
	awsSecretAccessKey *dagger.Secret,
	// AWS session token (temporary credentials: OIDC, CodeBuild, SSO).
	// +optional
	awsSessionToken *dagger.Secret,
	// An AWS shared config file (profiles: role_arn + source_profile chains, credential_process),
	// used with --aws-profile instead of keys. It may hold the keys too.
	// +optional
	awsConfig *dagger.Secret,
	// An AWS shared credentials file, when the keys of --aws-config's profiles live in a separate file.
	// +optional
	awsCredentials *dagger.Secret,
	// Profile in --aws-config.
	// +optional
	awsProfile string,
	// A web identity token (GitHub Actions OIDC), exchanged for --aws-role-arn's credentials by the
	// SDK in every step (sts:AssumeRoleWithWebIdentity).
	// +optional
	awsWebIdentityToken *dagger.Secret,
	// The role to assume with --aws-web-identity-token.
	// +optional
	awsRoleArn string,
	// Region override (default: the environment's region).
	// +optional
	region string,
	// Kubeconfig instead of eks:DescribeCluster (the local sandbox's cluster).
	// +optional
	kubeconfig *dagger.Secret,
	// Host service for the AWS APIs of a local environment, e.g. tcp://127.0.0.1:4566.
	// +optional
	awsEndpoint *dagger.Service,
	// Host service for the Kubernetes API of a local environment, e.g. tcp://127.0.0.1:6443.
	// +optional
	kubeAPI *dagger.Service,
	// Host service for the plain-HTTP registry of a local environment, e.g. tcp://127.0.0.1:5000.
	// +optional
	registry *dagger.Service,
	// The sandbox's twin account declarations (.sandbox/twin-endpoints, written by `sandbox up`): run against the
	// twin of the environment's account. Credentials, ECR login, DescribeCluster and the EKS token stay
	// the real path; only where they answer comes from here.
	// +optional
	twin *dagger.Directory,
	// The twin's host services, one per address its declarations name, comma-separated: e.g.
	// tcp://127.0.0.1:4566,tcp://127.0.0.1:5002,tcp://127.0.0.1:7444.
	// +optional
	twinService []*dagger.Service,
	// Cancel beacon of the launcher (`stacks guard` passes it): when its connection closes, terraform is
	// interrupted gracefully so it writes its state and releases its lock.
	// +optional
	cancelBeacon *dagger.Service,
	// Go toolchain image override.
	// +optional
	goImage string,
	// Tool container base image override.
	// +optional
	toolsImage string,
	// Terraform image override (binary at /bin/terraform or /bin/tofu).
	// +optional
	terraformImage string,
	// Who runs this call, as a deploy lock names its holder to a deploy that waits for it: the CI run
	// ("github run <server>/<repo>/actions/runs/<id>", "codebuild <build id>") or user@host. The
	// module cannot read the caller's environment, so CI passes it (scripts/dagger-local.sh passes
	// user@host). Default: "dagger call (no --lock-owner given)".
	// +optional
	lockOwner string,
) *Delivery {
	return &Delivery{
		Source:              source,
		CliSource:           cliSource,
		Commit:              strings.TrimSpace(commit),
		AwsAccessKeyID:      awsAccessKeyID,
		AwsSecretAccessKey:  awsSecretAccessKey,
		AwsSessionToken:     awsSessionToken,
		AwsConfig:           awsConfig,
		AwsCredentials:      awsCredentials,
		AwsProfile:          awsProfile,
		AwsWebIdentityToken: awsWebIdentityToken,
		AwsRoleArn:          awsRoleArn,
		Region:              region,
		Kubeconfig:          kubeconfig,
		AwsEndpoint:         awsEndpoint,
		KubeAPI:             kubeAPI,
		RegistryService:     registry,
		Twin:                twin,
		TwinServices:        twinService,
		CancelBeacon:        cancelBeacon,
		GoImage:             goImage,
		ToolsImage:          toolsImage,
		TerraformImage:      terraformImage,
		LockOwner:           strings.TrimSpace(lockOwner),
	}
}

// List the environments this repository defines.
func (m *Delivery) Environments(ctx context.Context) ([]string, error) {
	return m.environmentNames(ctx)
}

// The pipeline's pinned tool versions.
func (m *Delivery) Version() string {
	return fmt.Sprintf("delivery pipeline (dagger %s)", daggerVersion)
}
