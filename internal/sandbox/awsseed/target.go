package awsseed

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/platformteam/delivery/internal/iampolicy"
	"github.com/platformteam/delivery/pkg/environment"
)

// LockTableName is the DynamoDB lock table of terraform versions that lock through DynamoDB.
const LockTableName = "tf-state-locks"

// BootstrapTag is the tag of the placeholder image the seeded task definition starts with.
const BootstrapTag = "bootstrap"

// AppContainerPort is the port the demo app listens on inside its container.
const AppContainerPort = 8080

// Target is one account to seed with what its environment's stacks would create.
type Target struct {
	// Root is the repository root (environments/, modules/).
	Root string
	Env  *environment.Environment
	// AWS calls the twin as the account's admin.
	AWS aws.Config
	// Identities are the environment's CI identities (nil: the environment declares none, as local).
	Identities *iampolicy.Identities
	// Image is the bootstrap image the seeded task definition names (e.g. 127.0.0.1:5002/demo-app:bootstrap),
	// and PushImage where the seed writes it (the registry backend's name for it).
	Image, PushImage string
	// KubernetesVersion of the EKS cluster record (1.37).
	KubernetesVersion string
	// DesiredCount of the seeded ECS service.
	DesiredCount int32
	// TwinCluster says the sandbox runs an API server for the environment's EKS cluster, so the AWS
	// front serves its access entries API: then the cluster gets its access entries.
	TwinCluster bool
}

// Seeded lists what one Seed call created or changed ("kind name"); what existed as declared is not listed.
type Seeded []string

func (s *Seeded) add(kind, name string) { *s = append(*s, kind+" "+name) }

// names derives every seeded name from the environment, so the seed always matches delivery.yaml.
type names struct {
	env       *environment.Environment
	app       string // demo-app
	prefix    string // demo-app-staging
	paramPath string // /demo-app/staging/app/
	secret    string // demo-app/staging/app-auth-token
	execRole  string
	taskRole  string
	eksRole   string
	logGroup  string
	bucket    string
	appBucket string // the s3 stack's app bucket: <project>-<env>-<app>-<account>-<region>
	kmsAlias  string
	network   *network
	secretARN string
	kmsKeyARN string
}

func newNames(root string, env *environment.Environment) *names {
	app := env.Image.Repository
	prefix := app + "-" + env.Name
	return &names{
		env: env, app: app, prefix: prefix,
		paramPath: "/" + app + "/" + env.Name + "/app/",
		secret:    app + "/" + env.Name + "/app-auth-token",
		execRole:  prefix + "-ecs-execution",
		taskRole:  prefix + "-ecs-task",
		eksRole:   env.EKS.Cluster + "-eks-cluster",
		logGroup:  "/ecs/" + prefix,
		bucket:    stateBucket(root, env),
		appBucket: fmt.Sprintf("%s-%s-%s-%s-%s", project(root, env), env.Name, app, env.AccountID, env.Region),
		kmsAlias:  "alias/" + prefix + "-config",
	}
}

func (n *names) arn(service, resource string) string {
	region := n.env.Region
	if service == "iam" {
		region = ""
	}
	return fmt.Sprintf("arn:aws:%s:%s:%s:%s", service, region, n.env.AccountID, resource)
}

func (n *names) tags() map[string]string {
	return map[string]string{"Project": "delivery", "App": n.app, "Environment": n.env.Name, "Owner": "platform-team", "ManagedBy": "sandbox-seed"}
}

var bucketLine = regexp.MustCompile(`(?m)^\s*bucket\s*=\s*"([^"]+)"`)

// stateBucket is backend.hcl's bucket, else the convention tf-state-<account>-<region>.
func stateBucket(root string, env *environment.Environment) string {
	if data, err := os.ReadFile(filepath.Join(root, "environments", env.Name, "backend.hcl")); err == nil {
		if m := bucketLine.FindSubmatch(data); m != nil {
			return string(m[1])
		}
	}
	return StateBucketName(env.AccountID, env.Region)
}

var projectLine = regexp.MustCompile(`(?m)^\s*project\s*=\s*"([^"]+)"`)

// project is the environment's Terraform project variable (environments/<env>/*.tfvars; the stacks
// give it no default), the app's name when no file sets it.
func project(root string, env *environment.Environment) string {
	files, _ := filepath.Glob(filepath.Join(root, "environments", env.Name, "*.tfvars"))
	for _, f := range files {
		if data, err := os.ReadFile(f); err == nil {
			if m := projectLine.FindSubmatch(data); m != nil {
				return string(m[1])
			}
		}
	}
	return env.Image.Repository
}

// StateBucketName is the Terraform state bucket convention of an account and region.
func StateBucketName(accountID, region string) string {
	return fmt.Sprintf("tf-state-%s-%s", accountID, region)
}

// Seed creates, through the AWS APIs, what the environment's stacks would create in its account. It
// creates what is missing and leaves the app's running state alone (a service the release engine has
// updated keeps its task definition), but converges the CI identities to the rendered templates (a
// permission removed from the Terraform is removed from the role). Running it twice changes nothing.
func Seed(ctx context.Context, t Target) (Seeded, error) {
	n := newNames(t.Root, t.Env)
	var done Seeded
	steps := []struct {
		what string
		run  func() error
	}{
		{"terraform state bucket and lock table", func() error { return seedStateBackend(ctx, t.AWS, n, &done) }},
		{"network (VPC, subnets, security group)", func() error { return seedNetwork(ctx, t.AWS, n, &done) }},
		{"service roles", func() error { return seedServiceRoles(ctx, t.AWS, n, &done) }},
		{"CI identities", func() error { return seedIdentities(ctx, t.AWS, t.Identities, &done) }},
		{"KMS configuration key", func() error { return seedConfigKey(ctx, t.AWS, n, &done) }},
		{"KMS image signing key", func() error { return seedSigningKey(ctx, t.AWS, n, t.Identities, &done) }},
		{"SSM parameters and secrets", func() error { return seedConfiguration(ctx, t.AWS, n, &done) }},
		{"ECR repository", func() error { return seedECR(ctx, t.AWS, n, t.Identities, &done) }},
		{"bootstrap image", func() error { return seedBootstrapImage(ctx, t.PushImage, &done) }},
		{"CloudWatch log group", func() error { return seedLogGroup(ctx, t.AWS, n, &done) }},
		{"ECS cluster, task definition and service", func() error { return seedECS(ctx, t.AWS, n, t, &done) }},
		{"EKS cluster record", func() error { return seedEKS(ctx, t.AWS, n, t.KubernetesVersion, &done) }},
		{"EKS access entries", func() error { return seedAccessEntries(ctx, n, t, &done) }},
	}
	for _, step := range steps {
		if err := step.run(); err != nil {
			return done, fmt.Errorf("seed %s (account %s): %s: %w", t.Env.Name, t.Env.AccountID, step.what, err)
		}
	}
	return done, nil
}
