package ecsdeploy

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/platformteam/delivery/pkg/diagnosis"
)

// How much of the platform's record a diagnosis keeps.
const (
	diagnosisTasks  = 5
	diagnosisEvents = 5
	// diagnosisBudget bounds the reads of a diagnosis; it runs even after cancellation.
	diagnosisBudget = 20 * time.Second
)

// Diagnose reads why the rollout of taskDefinition failed: the newest stopped tasks of that revision
// (stop code, stoppedReason, each container's exit code and reason) and the service's last events.
// It never fails: what could not be read is named in Incomplete.
func (d *Deployer) Diagnose(ctx context.Context, cluster, service, taskDefinition string) *diagnosis.Diagnosis {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), diagnosisBudget)
	defer cancel()
	out := &diagnosis.Diagnosis{}
	var problems []string
	if svc, err := describeService(ctx, d.API, cluster, service); err != nil {
		problems = append(problems, "service events: "+err.Error())
	} else {
		out.Events = lastEvents(svc.Events, diagnosisEvents)
	}
	tasks, err := d.stoppedTasks(ctx, cluster, service, taskDefinition)
	if err != nil {
		problems = append(problems, "stopped tasks: "+err.Error())
	}
	out.Tasks = tasks
	out.Incomplete = strings.Join(problems, "; ")
	return out
}

func lastEvents(events []types.ServiceEvent, n int) []diagnosis.Event {
	var out []diagnosis.Event
	for _, e := range events {
		ev := diagnosis.Event{Message: aws.ToString(e.Message)}
		if e.CreatedAt != nil {
			ev.At = *e.CreatedAt
		}
		out = append(out, ev)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	if len(out) > n {
		out = out[len(out)-n:]
	}
	return out
}

func (d *Deployer) stoppedTasks(ctx context.Context, cluster, service, taskDefinition string) ([]diagnosis.Task, error) {
	list, err := d.API.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String(cluster), ServiceName: aws.String(service),
		DesiredStatus: types.DesiredStatusStopped, MaxResults: aws.Int32(100)})
	if err != nil {
		return nil, fmt.Errorf("list stopped tasks of %s: %w", service, err)
	}
	if len(list.TaskArns) == 0 {
		return nil, nil
	}
	desc, err := d.API.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: list.TaskArns})
	if err != nil {
		return nil, fmt.Errorf("describe stopped tasks of %s: %w", service, err)
	}
	var tasks []types.Task
	for _, t := range desc.Tasks {
		if aws.ToString(t.TaskDefinitionArn) == taskDefinition {
			tasks = append(tasks, t)
		}
	}
	sort.SliceStable(tasks, func(i, j int) bool { return stoppedAt(tasks[i]).After(stoppedAt(tasks[j])) })
	if len(tasks) > diagnosisTasks {
		tasks = tasks[:diagnosisTasks]
	}
	var out []diagnosis.Task
	for _, t := range tasks {
		dt := diagnosis.Task{ID: shortARN(aws.ToString(t.TaskArn)), TaskDefinition: shortARN(aws.ToString(t.TaskDefinitionArn)),
			StopCode: string(t.StopCode), StoppedReason: aws.ToString(t.StoppedReason)}
		for _, c := range t.Containers {
			dt.Containers = append(dt.Containers, diagnosis.Container{Name: aws.ToString(c.Name), State: aws.ToString(c.LastStatus),
				Reason: aws.ToString(c.Reason), ExitCode: c.ExitCode})
		}
		out = append(out, dt)
	}
	return out, nil
}

func stoppedAt(t types.Task) time.Time {
	if t.StoppedAt != nil {
		return *t.StoppedAt
	}
	return time.Time{}
}
