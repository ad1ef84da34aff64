// Package awsseed creates in moto, through the AWS APIs, what the real stacks would create for the
// sandbox's environment: the Terraform state bucket and lock table, the network, IAM roles, SSM
// parameters, the ECR repository, the log group, the ECS cluster, task definition and service, and the
// EKS cluster record. The AWS Terraform provider cannot be obtained offline, so the stacks cannot create
// them here.
package awsseed

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/platformteam/delivery/pkg/environment"
)

// Seed names: what the real stacks would create for the local environment. They are fixed so the
// stack engine's backend.hcl and the release engine's delivery.yaml can point at them.
const (
	LockTableName = "tf-state-locks"
	// SeededImageTag is the tag of the placeholder image the seeded task definition starts with.
	SeededImageTag = "bootstrap"
)

// StateBucketName is the Terraform state bucket of an account and region.
func StateBucketName(accountID, region string) string {
	return fmt.Sprintf("tf-state-%s-%s", accountID, region)
}

// Seeded lists what one Seed call created ("kind name"); already existing resources are not listed.
type Seeded []string

func (s *Seeded) add(kind, name string) { *s = append(*s, kind+" "+name) }

// Seed creates, through the AWS endpoint cfg points at, the resources the real stacks would create
// for env; registry (host:port) holds the placeholder image when env names no registry of its own.
// It only creates what is missing and never changes what exists, so a service the release engine has
// since updated keeps its state. Running it twice is a no-op the second time.
func Seed(ctx context.Context, cfg aws.Config, env *environment.Environment, registry string) (Seeded, error) {
	var done Seeded
	names := newSeedNames(env, registry)
	steps := []struct {
		what string
		run  func() error
	}{
		{"terraform state bucket and lock table", func() error { return seedStateBackend(ctx, cfg, names, &done) }},
		{"network (VPC, subnets, security group)", func() error { return seedNetwork(ctx, cfg, names, &done) }},
		{"IAM roles", func() error { return seedIAM(ctx, cfg, names, &done) }},
		{"SSM parameters", func() error { return seedParameters(ctx, cfg, names, &done) }},
		{"ECR repository", func() error { return seedECR(ctx, cfg, names, &done) }},
		{"CloudWatch log group", func() error { return seedLogGroup(ctx, cfg, names, &done) }},
		{"ECS cluster, task definition and service", func() error { return seedECS(ctx, cfg, names, &done) }},
		{"EKS cluster record", func() error { return seedEKS(ctx, cfg, names, &done) }},
	}
	for _, step := range steps {
		if err := step.run(); err != nil {
			return done, fmt.Errorf("%s: %w", step.what, err)
		}
	}
	return done, nil
}

// seedNames derives every seeded name from the environment, so the seed always matches delivery.yaml.
type seedNames struct {
	env       *environment.Environment
	app       string // image repository / application name, e.g. demo-app
	prefix    string // <app>-<env>, e.g. demo-app-local
	network   *seededNetwork
	ssmPrefix string // /<app>/<env>/
	execRole  string
	taskRole  string
	eksRole   string
	logGroup  string
	bucket    string
	lockTable string
	imageURI  string // placeholder image of the seeded task definition
}

func newSeedNames(env *environment.Environment, registry string) *seedNames {
	app := env.Image.Repository
	prefix := app + "-" + env.Name
	return &seedNames{
		env:       env,
		app:       app,
		prefix:    prefix,
		ssmPrefix: "/" + app + "/" + env.Name + "/",
		execRole:  prefix + "-ecs-execution",
		taskRole:  prefix + "-ecs-task",
		eksRole:   env.EKS.Cluster + "-eks-cluster",
		logGroup:  "/ecs/" + prefix,
		bucket:    StateBucketName(env.AccountID, env.Region),
		lockTable: LockTableName,
		imageURI:  seededImage(env, app, registry),
	}
}

func (n *seedNames) arn(service, resource string) string {
	region := n.env.Region
	if service == "iam" {
		region = ""
	}
	return fmt.Sprintf("arn:aws:%s:%s:%s:%s", service, region, n.env.AccountID, resource)
}

func (n *seedNames) tags() map[string]string {
	return map[string]string{
		"Project":     "delivery",
		"App":         n.app,
		"Environment": n.env.Name,
		"Owner":       "platform-team",
		"ManagedBy":   "sandbox-seed",
	}
}

// seededImage is the bootstrap image of the seeded task definition: in the environment's own registry
// (the sandbox registry for the local environment), as the first deploy replaces it by a digest there.
func seededImage(env *environment.Environment, app, sandboxRegistry string) string {
	registry := env.Endpoints.Registry
	if registry == "" {
		registry = sandboxRegistry
	}
	return fmt.Sprintf("%s/%s:%s", registry, app, SeededImageTag)
}
