//go:build integration

package ecsdeploy_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/platformteam/delivery/internal/sandbox"
	"github.com/platformteam/delivery/internal/sandbox/sandboxtest"
	"github.com/platformteam/delivery/pkg/ecsdeploy"
	"github.com/platformteam/delivery/pkg/release/api"
	"github.com/platformteam/delivery/pkg/verify"
)

// motoService creates a cluster, a task definition with secrets, logs and roles, and a service running it.
func motoService(t *testing.T, client *ecs.Client) (cluster, family, firstARN string) {
	t.Helper()
	ctx := context.Background()
	cluster = sandboxtest.UniqueName("rel-ecs")
	family = cluster + "-app"
	if _, err := client.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String(cluster)}); err != nil {
		t.Fatal(err)
	}
	td, err := client.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
		Family:           aws.String(family),
		ExecutionRoleArn: aws.String("arn:aws:iam::123456789012:role/demo-exec"),
		TaskRoleArn:      aws.String("arn:aws:iam::123456789012:role/demo-task"),
		Cpu:              aws.String("256"), Memory: aws.String("512"),
		ContainerDefinitions: []types.ContainerDefinition{{
			Name: aws.String("app"), Image: aws.String(oldImage), Essential: aws.Bool(true), Memory: aws.Int32(256),
			Environment: []types.KeyValuePair{{Name: aws.String("APP_ENV"), Value: aws.String("local")}},
			Secrets:     []types.Secret{{Name: aws.String("APP_AUTH_SECRET"), ValueFrom: aws.String("arn:aws:ssm:ap-southeast-2:123456789012:parameter/demo/local/app/APP_AUTH_SECRET")}},
			LogConfiguration: &types.LogConfiguration{LogDriver: types.LogDriverAwslogs,
				Options: map[string]string{"awslogs-group": "/ecs/demo-app", "awslogs-region": "ap-southeast-2", "awslogs-stream-prefix": "app"}},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	firstARN = aws.ToString(td.TaskDefinition.TaskDefinitionArn)
	// moto reports MotoRunningTasks running for every service: ask for exactly that many.
	if _, err := client.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String(cluster), ServiceName: aws.String("demo-app"),
		TaskDefinition: aws.String(firstARN), DesiredCount: aws.Int32(int32(sandbox.MotoRunningTasks)), LaunchType: types.LaunchTypeEc2}); err != nil {
		t.Fatal(err)
	}
	return cluster, family, firstARN
}

// The sandbox's AWS endpoint is moto behind the ECS rollout simulator (internal/fake/ecs/rollout): moto stores what
// the deploy registers and updates, the simulator plays the rollout out as ECS reports it. This proves
// register (fields kept), update, the wait for the new revision to be PRIMARY + COMPLETED, and verify.
func TestSandboxDeployCompletesAndKeepsFields(t *testing.T) {
	s := sandboxtest.Env(t)
	client := ecs.NewFromConfig(s.AWSConfig())
	cluster, family, first := motoService(t, client)
	var out strings.Builder
	d := &ecsdeploy.Deployer{API: client, Out: &out, Polling: ecsdeploy.Polling{Min: 200 * time.Millisecond, Max: time.Second, Factor: 2}}
	image := pinned(pushedImage(t, s.Registry))
	req := ecsdeploy.Request{Cluster: cluster, Service: "demo-app", Image: image, Timeout: time.Minute}

	plan, err := d.Plan(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Changes) != 2 { // image changed, DEPLOY_PLATFORM added
		t.Fatalf("changes %v", plan.Changes)
	}
	res, err := d.Deploy(context.Background(), req)
	if err != nil || res.Outcome != api.Deployed || res.PreviousTaskDefinition != first || !strings.HasSuffix(res.TaskDefinition, family+":2") {
		t.Fatalf("want a completed rollout %s → %s:2, got %v (%+v)\n%s", first, family, err, res, out.String())
	}
	if !strings.Contains(out.String(), "IN_PROGRESS") || !strings.Contains(out.String(), "COMPLETED") {
		t.Fatalf("progress must show the rollout states:\n%s", out.String())
	}
	svc, err := client.DescribeServices(context.Background(), &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: []string{"demo-app"}})
	if err != nil || aws.ToString(svc.Services[0].TaskDefinition) != res.TaskDefinition {
		t.Fatalf("service runs %s, want %s (%v)", aws.ToString(svc.Services[0].TaskDefinition), res.TaskDefinition, err)
	}
	td, err := client.DescribeTaskDefinition(context.Background(), &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(family + ":2")})
	if err != nil {
		t.Fatal(err)
	}
	app := td.TaskDefinition.ContainerDefinitions[0]
	env := map[string]string{}
	for _, kv := range app.Environment {
		env[aws.ToString(kv.Name)] = aws.ToString(kv.Value)
	}
	if aws.ToString(app.Image) != image.String() || env["DEPLOY_PLATFORM"] != "ecs" || env["APP_ENV"] != "local" ||
		len(app.Secrets) != 1 || !strings.HasSuffix(aws.ToString(app.Secrets[0].ValueFrom), "/APP_AUTH_SECRET") ||
		app.LogConfiguration == nil || app.LogConfiguration.Options["awslogs-group"] != "/ecs/demo-app" ||
		aws.ToString(td.TaskDefinition.ExecutionRoleArn) != "arn:aws:iam::123456789012:role/demo-exec" ||
		aws.ToString(td.TaskDefinition.TaskRoleArn) != "arn:aws:iam::123456789012:role/demo-task" {
		t.Fatalf("registered revision lost fields: %+v", td.TaskDefinition)
	}
	// The twin reports the service's tasks with the digest the registry resolved when the deployment
	// started: verify is strict (no fallback to the task definition).
	r, err := verify.ECS(context.Background(), client, cluster, "demo-app", "", image)
	if err != nil || r.Err(true) != nil || r.Fallbacks != 0 || len(r.Checks) != sandbox.MotoRunningTasks {
		t.Fatalf("verify deployed revision (strict): %v %v %+v", err, r.Err(true), r)
	}
}

// pushedImage pushes a random image to the sandbox registry and returns it by digest, so the twin
// can resolve what the tasks run.
func pushedImage(t *testing.T, registry string) string {
	t.Helper()
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.ParseReference(registry+"/"+sandboxtest.UniqueName("rel-ecs-image")+":v1", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
	digest, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return ref.Context().Name() + "@" + digest.String()
}

// An image the simulator cannot start (the pull-fail marker) trips the deployment circuit breaker: the
// deploy is a failure even though ECS itself rolled back, and the previous revision is what runs.
func TestSandboxCircuitBreakerIsAFailure(t *testing.T) {
	s := sandboxtest.Env(t)
	client := ecs.NewFromConfig(s.AWSConfig())
	cluster, _, first := motoService(t, client)
	var out strings.Builder
	d := &ecsdeploy.Deployer{API: client, Out: &out, Polling: ecsdeploy.Polling{Min: 200 * time.Millisecond, Max: time.Second, Factor: 2}}
	bad := strings.Replace(newImage, "@", "-pull-fail@", 1)
	res, err := d.Deploy(context.Background(), ecsdeploy.Request{Cluster: cluster, Service: "demo-app", Image: pinned(bad), Timeout: time.Minute})
	var failed *api.FailedError
	if !errors.As(err, &failed) || !failed.RolledBack() || res.Failure != ecsdeploy.FailureCircuitBreaker {
		t.Fatalf("want circuit-breaker failure + restore, got %v (%+v)\n%s", err, res, out.String())
	}
	svc, err := client.DescribeServices(context.Background(), &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: []string{"demo-app"}})
	if err != nil || aws.ToString(svc.Services[0].TaskDefinition) != first {
		t.Fatalf("service runs %s, want %s (%v)", aws.ToString(svc.Services[0].TaskDefinition), first, err)
	}
}

func TestMotoBadInputChangesNothing(t *testing.T) {
	s := sandboxtest.Env(t)
	client := ecs.NewFromConfig(s.AWSConfig())
	cluster, family, _ := motoService(t, client)
	d := &ecsdeploy.Deployer{API: client}
	for name, req := range map[string]ecsdeploy.Request{
		"unknown cluster":   {Cluster: cluster + "-nope", Service: "demo-app", Image: pinned(newImage), Timeout: time.Second},
		"unknown service":   {Cluster: cluster, Service: "nope", Image: pinned(newImage), Timeout: time.Second},
		"unknown container": {Cluster: cluster, Service: "demo-app", Container: "web", Image: pinned(newImage), Timeout: time.Second},
	} {
		if _, err := d.Deploy(context.Background(), req); err == nil {
			t.Fatalf("%s: want error", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
	if _, err := d.Rollback(context.Background(), ecsdeploy.RollbackRequest{Cluster: cluster, Service: "demo-app", Timeout: time.Second}); err == nil ||
		!strings.Contains(err.Error(), "no ACTIVE revision below 1") {
		t.Fatalf("rollback below the first revision: %v", err)
	}
	list, err := client.ListTaskDefinitions(context.Background(), &ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String(family)})
	if err != nil || len(list.TaskDefinitionArns) != 1 {
		t.Fatalf("bad input registered something: %v %v", list.TaskDefinitionArns, err)
	}
}
