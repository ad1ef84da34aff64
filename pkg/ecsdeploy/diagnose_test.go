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

	"github.com/platformteam/delivery/internal/fake/ecs/scenario"
	"github.com/platformteam/delivery/pkg/ecsdeploy"
	"github.com/platformteam/delivery/pkg/release/api"
)

// stoppedTasksECS answers ListTasks/DescribeTasks with stopped tasks, as ECS keeps them for about an
// hour after a failed deployment; the rest goes to the scenario server.
type stoppedTasksECS struct {
	ecsdeploy.API
	tasks      []types.Task
	listFilter *ecs.ListTasksInput
}

func (f *stoppedTasksECS) ListTasks(_ context.Context, in *ecs.ListTasksInput, _ ...func(*ecs.Options)) (*ecs.ListTasksOutput, error) {
	f.listFilter = in
	var arns []string
	for _, t := range f.tasks {
		arns = append(arns, aws.ToString(t.TaskArn))
	}
	return &ecs.ListTasksOutput{TaskArns: arns}, nil
}

func (f *stoppedTasksECS) DescribeTasks(_ context.Context, in *ecs.DescribeTasksInput, _ ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error) {
	return &ecs.DescribeTasksOutput{Tasks: f.tasks}, nil
}

func stoppedTask(id, taskDefinition string, at time.Time, exit int32, reason string) types.Task {
	return types.Task{TaskArn: aws.String("arn:aws:ecs:ap-southeast-2:123456789012:task/demo/" + id), TaskDefinitionArn: aws.String(taskDefinition),
		StopCode: types.TaskStopCodeEssentialContainerExited, StoppedReason: aws.String("Essential container in task exited"), StoppedAt: aws.Time(at),
		Containers: []types.Container{{Name: aws.String("app"), LastStatus: aws.String("STOPPED"), ExitCode: aws.Int32(exit), Reason: aws.String(reason)}}}
}

func TestFailedDeployReportsStoppedTasksAndEvents(t *testing.T) {
	r := newRig(t)
	r.server.Queue(scenario.BreakerTrips(2, 30*time.Second))
	base := r.clock.Now()
	next := strings.TrimSuffix(r.previous, ":1") + ":2"
	fake := &stoppedTasksECS{API: r.deployer.API, tasks: []types.Task{
		stoppedTask("old1", r.previous, base, 0, ""), // an earlier revision's task: not this rollout's
		stoppedTask("t1", next, base.Add(5*time.Second), 1, "panic: APP_AUTH_SECRET is empty"),
		stoppedTask("t2", next, base.Add(9*time.Second), 137, "OutOfMemoryError"),
	}}
	r.deployer.API = fake
	res, err := r.deployer.Deploy(context.Background(), r.request())
	var failed *api.FailedError
	if !errors.As(err, &failed) || res.Diagnosis == nil {
		t.Fatalf("want a failed deploy with a diagnosis, got %v (%+v)", err, res)
	}
	if fake.listFilter == nil || aws.ToString(fake.listFilter.ServiceName) != "demo-app" || fake.listFilter.DesiredStatus != types.DesiredStatusStopped {
		t.Fatalf("stopped tasks listed with %+v", fake.listFilter)
	}
	d := res.Diagnosis
	if len(d.Tasks) != 2 || d.Tasks[0].ID != "t2" || *d.Tasks[0].Containers[0].ExitCode != 137 || d.Tasks[1].Containers[0].Reason != "panic: APP_AUTH_SECRET is empty" {
		t.Fatalf("tasks %+v (prev %s next %s, td %s)", d.Tasks, r.previous, next, res.TaskDefinition)
	}
	if len(d.Events) == 0 || len(d.Events) > 5 || d.Incomplete != "" {
		t.Fatalf("events %+v, incomplete %q", d.Events, d.Incomplete)
	}
	if !strings.Contains(r.out.String(), "why: task t2 (demo-app:2) stopped [EssentialContainerExited]") ||
		!strings.Contains(r.out.String(), "why:   container app STOPPED OutOfMemoryError exit code 137") {
		t.Fatalf("progress lacks the reasons:\n%s", r.out)
	}
}

// The scenario server does not model ListTasks: the diagnosis says so and the deploy still restores.
func TestDiagnosisThatCannotBeReadIsIncompleteNotFatal(t *testing.T) {
	r := newRig(t)
	r.server.Queue(scenario.BreakerTrips(2, 30*time.Second))
	res, err := r.deployer.Deploy(context.Background(), r.request())
	var failed *api.FailedError
	if !errors.As(err, &failed) || failed.Outcome != api.RolledBack {
		t.Fatalf("want rolled back, got %v", err)
	}
	if res.Diagnosis == nil || !strings.Contains(res.Diagnosis.Incomplete, "stopped tasks") || len(res.Diagnosis.Events) == 0 {
		t.Fatalf("diagnosis %+v", res.Diagnosis)
	}
}
