//go:build integration

package awsseed_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/platformteam/delivery/internal/sandbox"
	"github.com/platformteam/delivery/internal/sandbox/awsseed"
	"github.com/platformteam/delivery/internal/sandbox/sandboxtest"
	"github.com/platformteam/delivery/pkg/environment"
)

func localEnv(t *testing.T, sb *sandboxtest.Sandbox) *environment.Environment {
	t.Helper()
	env, err := environment.Load(sb.Layout.RepoRoot, sandbox.EnvName)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// Everything the real stacks would create for the local environment is in moto.
func TestSeededAWSResourcesExist(t *testing.T) {
	sb := sandboxtest.Env(t)
	env := localEnv(t, sb)
	cfg := sb.AWSConfig()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	id, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(id.Account) != env.AccountID {
		t.Fatalf("moto account = %v (err %v), want %s", id, err, env.AccountID)
	}

	bucket := awsseed.StateBucketName(env.AccountID, env.Region) // environments/local/backend.hcl names the same
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := s3c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Errorf("state bucket %s: %v", bucket, err)
	}
	versioning, err := s3c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String(bucket)})
	if err != nil || versioning.Status != "Enabled" {
		t.Errorf("state bucket versioning = %v, %v; want Enabled", versioning, err)
	}
	if _, err := dynamodb.NewFromConfig(cfg).DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(awsseed.LockTableName)}); err != nil {
		t.Errorf("lock table: %v", err)
	}

	repos, err := ecr.NewFromConfig(cfg).DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{env.Image.Repository}})
	if err != nil || len(repos.Repositories) != 1 {
		t.Errorf("ECR repository %s: %v", env.Image.Repository, err)
	}

	ecsc := ecs.NewFromConfig(cfg)
	services, err := ecsc.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(env.ECS.Cluster), Services: []string{env.ECS.Service}})
	if err != nil || len(services.Services) != 1 {
		t.Fatalf("ECS service %s/%s: %v", env.ECS.Cluster, env.ECS.Service, err)
	}
	svc := services.Services[0]
	if aws.ToString(svc.Status) != "ACTIVE" || svc.RunningCount != svc.DesiredCount || string(svc.LaunchType) != "FARGATE" {
		t.Errorf("service status %s running %d/%d launch %s; want ACTIVE, steady, FARGATE",
			aws.ToString(svc.Status), svc.RunningCount, svc.DesiredCount, svc.LaunchType)
	}
	if svc.NetworkConfiguration == nil || len(svc.NetworkConfiguration.AwsvpcConfiguration.SecurityGroups) == 0 {
		t.Error("service has no awsvpc security groups")
	}
	td, err := ecsc.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: svc.TaskDefinition})
	if err != nil {
		t.Fatalf("task definition %s: %v", aws.ToString(svc.TaskDefinition), err)
	}
	first := td.TaskDefinition.ContainerDefinitions[0]
	if aws.ToString(first.Name) != env.ECS.Container || len(first.Secrets) == 0 || first.LogConfiguration == nil {
		t.Errorf("first container %s: secrets %d, log configuration %v", aws.ToString(first.Name), len(first.Secrets), first.LogConfiguration)
	}

	logGroup := first.LogConfiguration.Options["awslogs-group"]
	groups, err := cloudwatchlogs.NewFromConfig(cfg).DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(logGroup)})
	if err != nil || len(groups.LogGroups) == 0 || aws.ToString(groups.LogGroups[0].LogGroupName) != logGroup {
		t.Errorf("log group %s the task definition writes to: %v", logGroup, err)
	}

	// The app reads its bearer token as APP_AUTH_TOKEN, from the secret the parameters stack creates.
	secrets := map[string]string{}
	for _, s := range first.Secrets {
		secrets[aws.ToString(s.Name)] = aws.ToString(s.ValueFrom)
	}
	token, err := secretsmanager.NewFromConfig(cfg).GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(secrets["APP_AUTH_TOKEN"])})
	if err != nil || aws.ToString(token.SecretString) == "" || !strings.Contains(secrets["APP_AUTH_TOKEN"], ":secret:demo-app/local/app-auth-token") {
		t.Errorf("APP_AUTH_TOKEN secret %q the task definition references: %v", secrets["APP_AUTH_TOKEN"], err)
	}
	level := secrets["LOG_LEVEL"]
	name := level[strings.Index(level, ":parameter")+len(":parameter"):]
	if got, err := ssm.NewFromConfig(cfg).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name)}); err != nil || aws.ToString(got.Parameter.Value) == "" {
		t.Errorf("LOG_LEVEL parameter %s the task definition references: %v", name, err)
	}

	iamc := iam.NewFromConfig(cfg)
	for _, arn := range []string{aws.ToString(td.TaskDefinition.ExecutionRoleArn), aws.ToString(td.TaskDefinition.TaskRoleArn)} {
		role := arn[strings.LastIndex(arn, "/")+1:]
		if _, err := iamc.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(role)}); err != nil {
			t.Errorf("role %s the task definition uses: %v", role, err)
		}
	}

	cluster, err := eks.NewFromConfig(cfg).DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String(env.EKS.Cluster)})
	if err != nil || string(cluster.Cluster.Status) != "ACTIVE" {
		t.Errorf("EKS cluster %s: %v", env.EKS.Cluster, err)
	}
}

// Seeding again creates nothing and leaves a service the release engine changed alone.
func TestSeedingIsIdempotent(t *testing.T) {
	sb := sandboxtest.Env(t)
	env := localEnv(t, sb)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	image := sb.Registry + "/" + env.Image.Repository + ":" + awsseed.BootstrapTag
	created, err := awsseed.Seed(ctx, awsseed.Target{Root: sb.Layout.RepoRoot, Env: env, AWS: sb.AWSConfig(), Image: image, PushImage: image,
		KubernetesVersion: "1.37", DesiredCount: int32(sandbox.MotoRunningTasks)})
	if err != nil {
		t.Fatal(err)
	}
	if len(created) != 0 {
		t.Errorf("a second seed created %v", created)
	}
}
