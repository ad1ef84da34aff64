package verify

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/platformteam/delivery/pkg/artifact"
	"github.com/platformteam/delivery/pkg/release/api"
)

// ECSAPI is the part of the ECS API verification reads.
type ECSAPI interface {
	DescribeServices(ctx context.Context, in *ecs.DescribeServicesInput, optFns ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error)
	ListTasks(ctx context.Context, in *ecs.ListTasksInput, optFns ...func(*ecs.Options)) (*ecs.ListTasksOutput, error)
	DescribeTasks(ctx context.Context, in *ecs.DescribeTasksInput, optFns ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error)
	DescribeTaskDefinition(ctx context.Context, in *ecs.DescribeTaskDefinitionInput, optFns ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error)
}

// ECS checks the service's running tasks: the named container's imageDigest (or, when ECS reports none,
// the image of the task's task definition). With no running tasks listed it falls back to the
// service's task definition. container "" means the first container.
func ECS(ctx context.Context, client ECSAPI, cluster, service, container string, want artifact.Pinned) (api.VerifyReport, error) {
	digest := want.Digest()
	r := api.VerifyReport{Digest: digest, Checks: []api.Check{}, Problems: []string{}}
	svcOut, err := client.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: []string{service}})
	if err != nil {
		return r, fmt.Errorf("describe service %s in cluster %s: %w", service, cluster, err)
	}
	if len(svcOut.Services) == 0 {
		return r, fmt.Errorf("service %s not found in cluster %s (check ecs.cluster and ecs.service)", service, cluster)
	}
	svc := svcOut.Services[0]
	var arns []string
	var token *string
	for {
		out, err := client.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String(cluster), ServiceName: aws.String(service),
			DesiredStatus: types.DesiredStatusRunning, NextToken: token})
		if err != nil {
			return r, fmt.Errorf("list tasks of %s: %w", service, err)
		}
		arns = append(arns, out.TaskArns...)
		if out.NextToken == nil {
			break
		}
		token = out.NextToken
	}
	if len(arns) == 0 {
		if svc.DesiredCount == 0 {
			r.Problem("ecs service %s has no tasks to verify (desired count 0)", service)
			return r, nil
		}
		td, err := taskDefinition(ctx, client, aws.ToString(svc.TaskDefinition))
		if err != nil {
			return r, err
		}
		r.Add(checkDefinition(td, container, digest, "service "+service, api.SourceServiceTaskDef))
		return r, nil
	}
	defs := map[string]*types.TaskDefinition{}
	for start := 0; start < len(arns); start += 100 {
		end := min(start+100, len(arns))
		out, err := client.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: arns[start:end]})
		if err != nil {
			return r, fmt.Errorf("describe tasks of %s: %w", service, err)
		}
		for _, task := range out.Tasks {
			tdARN := aws.ToString(task.TaskDefinitionArn)
			if defs[tdARN] == nil {
				if defs[tdARN], err = taskDefinition(ctx, client, tdARN); err != nil {
					return r, err
				}
			}
			name := containerName(defs[tdARN], container)
			var c *types.Container
			for i := range task.Containers {
				if aws.ToString(task.Containers[i].Name) == name {
					c = &task.Containers[i]
				}
			}
			if c != nil && aws.ToString(c.ImageDigest) != "" {
				found := aws.ToString(c.ImageDigest)
				r.Add(api.Check{Platform: api.ECS, Target: aws.ToString(task.TaskArn), Container: name, Image: aws.ToString(c.Image),
					Digest: found, Source: api.SourceTaskDigest, OK: found == digest})
				continue
			}
			chk := checkDefinition(defs[tdARN], container, digest, aws.ToString(task.TaskArn), api.SourceTaskDefinition)
			r.Add(chk)
		}
	}
	return r, nil
}

func taskDefinition(ctx context.Context, client ECSAPI, arn string) (*types.TaskDefinition, error) {
	out, err := client.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(arn)})
	if err != nil {
		return nil, fmt.Errorf("describe task definition %s: %w", arn, err)
	}
	return out.TaskDefinition, nil
}

func containerName(td *types.TaskDefinition, container string) string {
	if container != "" || len(td.ContainerDefinitions) == 0 {
		return container
	}
	return aws.ToString(td.ContainerDefinitions[0].Name)
}

func checkDefinition(td *types.TaskDefinition, container, digest, target, source string) api.Check {
	name := containerName(td, container)
	chk := api.Check{Platform: api.ECS, Target: target, Container: name, Source: source, Fallback: true}
	for _, c := range td.ContainerDefinitions {
		if aws.ToString(c.Name) == name {
			chk.Image = aws.ToString(c.Image)
			chk.Digest = digestOf(chk.Image)
		}
	}
	chk.OK = chk.Digest == digest
	return chk
}
