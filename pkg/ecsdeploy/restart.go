package ecsdeploy

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/platformteam/delivery/pkg/release/api"
)

// RestartRequest names the service to restart.
type RestartRequest struct {
	Cluster string
	Service string
	Timeout time.Duration
}

// Restart replaces every task of the service without changing what it runs: a new deployment of the
// same task definition revision (UpdateService with forceNewDeployment), waited for like a deploy —
// PRIMARY, COMPLETED and fully running, with the circuit breaker's verdict and the service events.
// New tasks read their secrets and configuration again (secret rotation). It reports the running
// tasks before and after, each with the image digest it runs.
func (d *Deployer) Restart(ctx context.Context, req RestartRequest) (api.ECSRestart, error) {
	w := d.waiter()
	start := w.clock.Now()
	if req.Cluster == "" || req.Service == "" || req.Timeout <= 0 {
		return api.ECSRestart{}, errors.New("ecs restart: cluster, service and a positive timeout are required")
	}
	svc, err := describeService(ctx, d.API, req.Cluster, req.Service)
	if err != nil {
		return api.ECSRestart{}, err
	}
	res := api.ECSRestart{Cluster: req.Cluster, Service: req.Service, TaskDefinition: aws.ToString(svc.TaskDefinition)}
	if td, err := d.API.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: svc.TaskDefinition}); err == nil && len(td.TaskDefinition.ContainerDefinitions) > 0 {
		res.Image = aws.ToString(td.TaskDefinition.ContainerDefinitions[0].Image)
	}
	w.earlier = map[string]bool{}
	for _, dep := range svc.Deployments {
		w.earlier[aws.ToString(dep.Id)] = true
	}
	if res.Before, err = d.RunningTasks(ctx, req.Cluster, req.Service); err != nil {
		return res, err
	}
	if _, err := d.API.UpdateService(ctx, &ecs.UpdateServiceInput{
		Cluster: aws.String(req.Cluster), Service: aws.String(req.Service), ForceNewDeployment: true}); err != nil {
		return res, fmt.Errorf("force a new deployment of %s: %w", req.Service, err)
	}
	fmt.Fprintf(w.out, "service %s: new deployment of %s (same image, %d task(s) to replace), waiting up to %s\n",
		req.Service, shortARN(res.TaskDefinition), len(res.Before), req.Timeout)
	res.Polls, err = w.waitForRollout(ctx, req.Cluster, req.Service, res.TaskDefinition, req.Timeout)
	res.Seconds = w.clock.Now().Sub(start).Seconds()
	if err != nil {
		res.Diagnosis = d.Diagnose(ctx, req.Cluster, req.Service, res.TaskDefinition)
		for _, line := range res.Diagnosis.Lines() {
			fmt.Fprintf(w.out, "  why: %s\n", line)
		}
		return res, fmt.Errorf("restart of %s: %w (the service keeps running %s; see the events above)", req.Service, err, shortARN(res.TaskDefinition))
	}
	if after, err := describeService(ctx, d.API, req.Cluster, req.Service); err == nil {
		for _, dep := range after.Deployments {
			if aws.ToString(dep.Status) == "PRIMARY" {
				res.Deployment = aws.ToString(dep.Id)
			}
		}
	}
	if res.After, err = d.RunningTasks(ctx, req.Cluster, req.Service); err != nil {
		return res, err
	}
	fmt.Fprintf(w.out, "service %s: %d task(s) replaced by %d in %.1fs\n", req.Service, len(res.Before), len(res.After), res.Seconds)
	return res, nil
}

// RunningTasks lists the service's running tasks, sorted by name, with the digest of their first
// container's image.
func (d *Deployer) RunningTasks(ctx context.Context, cluster, service string) ([]api.RunningTask, error) {
	var arns []string
	var token *string
	for {
		out, err := d.API.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String(cluster), ServiceName: aws.String(service),
			DesiredStatus: types.DesiredStatusRunning, NextToken: token})
		if err != nil {
			return nil, fmt.Errorf("list the tasks of %s: %w", service, err)
		}
		arns = append(arns, out.TaskArns...)
		if out.NextToken == nil {
			break
		}
		token = out.NextToken
	}
	tasks := []api.RunningTask{}
	for len(arns) > 0 {
		batch := arns[:min(100, len(arns))]
		arns = arns[len(batch):]
		out, err := d.API.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: batch})
		if err != nil {
			return nil, fmt.Errorf("describe the tasks of %s: %w", service, err)
		}
		for _, t := range out.Tasks {
			if aws.ToString(t.LastStatus) != "RUNNING" {
				continue
			}
			rt := api.RunningTask{Name: shortARN(aws.ToString(t.TaskArn))}
			if len(t.Containers) > 0 {
				rt.Digest = aws.ToString(t.Containers[0].ImageDigest)
			}
			tasks = append(tasks, rt)
		}
	}
	sort.Slice(tasks, func(i, j int) bool { return tasks[i].Name < tasks[j].Name })
	return tasks, nil
}

// History lists the task definition revisions of the service's family, newest first (at most limit,
// ACTIVE and INACTIVE), and marks the one the service runs.
func (d *Deployer) History(ctx context.Context, cluster, service string, limit int) (api.ECSHistory, error) {
	svc, err := describeService(ctx, d.API, cluster, service)
	if err != nil {
		return api.ECSHistory{}, err
	}
	current := aws.ToString(svc.TaskDefinition)
	family, _, err := splitRevision(current)
	if err != nil {
		return api.ECSHistory{}, err
	}
	h := api.ECSHistory{Cluster: cluster, Service: service, Family: family, Revisions: []api.ECSRevision{}}
	type rev struct {
		arn string
		n   int
	}
	var revs []rev
	var token *string
	for {
		// Both statuses: a rolled-back-from revision may have been deregistered.
		out, err := d.API.ListTaskDefinitions(ctx, &ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String(family), NextToken: token})
		if err != nil {
			return h, fmt.Errorf("list revisions of %s: %w", family, err)
		}
		for _, arn := range out.TaskDefinitionArns {
			if f, n, err := splitRevision(arn); err == nil && f == family {
				revs = append(revs, rev{arn, n})
			}
		}
		if out.NextToken == nil {
			break
		}
		token = out.NextToken
	}
	sort.Slice(revs, func(i, j int) bool { return revs[i].n > revs[j].n })
	if limit > 0 && len(revs) > limit {
		revs = revs[:limit]
	}
	for _, r := range revs {
		er := api.ECSRevision{Revision: r.n, ARN: r.arn, Current: r.arn == current}
		td, err := d.API.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(r.arn)})
		if err != nil {
			return h, fmt.Errorf("describe %s: %w", shortARN(r.arn), err)
		}
		er.Status = string(td.TaskDefinition.Status)
		if td.TaskDefinition.RegisteredAt != nil {
			er.RegisteredAt = td.TaskDefinition.RegisteredAt.UTC()
		}
		var images []string
		for _, c := range td.TaskDefinition.ContainerDefinitions {
			images = append(images, aws.ToString(c.Image))
		}
		er.Image = strings.Join(images, ", ")
		h.Revisions = append(h.Revisions, er)
	}
	return h, nil
}
