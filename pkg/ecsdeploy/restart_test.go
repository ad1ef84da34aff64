package ecsdeploy_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/platformteam/delivery/internal/fake/ecs/scenario"
	"github.com/platformteam/delivery/pkg/ecsdeploy"
	"github.com/platformteam/delivery/pkg/release/api"
)

// restartingECS lets the scenario server play a forced new deployment (ECS starts a deployment of the
// service's own task definition) and reports each deployment's running tasks, as ECS lists them.
type restartingECS struct {
	ecsdeploy.API
	forced int
}

func (f *restartingECS) UpdateService(ctx context.Context, in *ecs.UpdateServiceInput, opts ...func(*ecs.Options)) (*ecs.UpdateServiceOutput, error) {
	if in.ForceNewDeployment && in.TaskDefinition == nil {
		f.forced++
		svc, err := f.API.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: in.Cluster, Services: []string{aws.ToString(in.Service)}})
		if err != nil {
			return nil, err
		}
		cp := *in
		cp.TaskDefinition = svc.Services[0].TaskDefinition
		in = &cp
	}
	return f.API.UpdateService(ctx, in, opts...)
}

func (f *restartingECS) ListTasks(ctx context.Context, in *ecs.ListTasksInput, _ ...func(*ecs.Options)) (*ecs.ListTasksOutput, error) {
	svc, err := f.API.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: in.Cluster, Services: []string{aws.ToString(in.ServiceName)}})
	if err != nil {
		return nil, err
	}
	var arns []string
	for _, d := range svc.Services[0].Deployments {
		for i := int32(0); i < d.RunningCount; i++ {
			arns = append(arns, fmt.Sprintf("arn:aws:ecs:%s:%s:task/demo/%s-%d", scenario.Region, scenario.Account, strings.ReplaceAll(aws.ToString(d.Id), "/", "-"), i))
		}
	}
	return &ecs.ListTasksOutput{TaskArns: arns}, nil
}

func (f *restartingECS) DescribeTasks(_ context.Context, in *ecs.DescribeTasksInput, _ ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error) {
	var out []types.Task
	for _, arn := range in.Tasks {
		out = append(out, types.Task{TaskArn: aws.String(arn), LastStatus: aws.String("RUNNING"),
			Containers: []types.Container{{Name: aws.String("app"), ImageDigest: aws.String("sha256:" + strings.Repeat("2", 64))}}})
	}
	return &ecs.DescribeTasksOutput{Tasks: out}, nil
}

func TestRestartWaitsForTheNewDeploymentOfTheSameRevision(t *testing.T) {
	r := newRig(t)
	fake := &restartingECS{API: r.deployer.API}
	r.deployer.API = fake
	r.server.Queue(scenario.Completes(2, 3*time.Second))
	start := r.clock.Now()
	res, err := r.deployer.Restart(context.Background(), ecsdeploy.RestartRequest{Cluster: "demo", Service: "demo-app", Timeout: time.Minute})
	if err != nil {
		t.Fatalf("restart: %v\n%s", err, r.out)
	}
	if fake.forced != 1 || res.TaskDefinition != r.previous {
		t.Fatalf("want one forced deployment of %s, got %d (%+v)", r.previous, fake.forced, res)
	}
	// Completes(2, 3s) reaches COMPLETED 9 s after the update: the wait must not return earlier.
	if waited := r.clock.Now().Sub(start); waited < 9*time.Second {
		t.Fatalf("returned after %s, before the new deployment completed\n%s", waited, r.out)
	}
	if len(res.Before) != 2 || len(res.After) != 2 || !api.Replaced(res.Before, res.After) || res.Deployment == "" {
		t.Fatalf("tasks not replaced: %+v", res)
	}
	if !strings.Contains(r.out.String(), "new deployment of") {
		t.Fatalf("no progress:\n%s", r.out)
	}
}

func TestRestartReportsTheCircuitBreaker(t *testing.T) {
	r := newRig(t)
	r.deployer.API = &restartingECS{API: r.deployer.API}
	r.server.Queue(scenario.BreakerTrips(2, 20*time.Second))
	_, err := r.deployer.Restart(context.Background(), ecsdeploy.RestartRequest{Cluster: "demo", Service: "demo-app", Timeout: time.Minute})
	if err == nil || !ecsdeploy.IsRolloutError(err) || !strings.Contains(err.Error(), "circuit-breaker") {
		t.Fatalf("want the circuit breaker's failure, got %v\n%s", err, r.out)
	}
}
