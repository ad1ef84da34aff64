package awsseed

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// taskDefinitionInput is the first revision of the app's task definition, as the ECS stack writes it:
// Fargate, awsvpc, one essential container named after delivery.yaml's ecs.container, its bearer
// token (APP_AUTH_TOKEN) from Secrets Manager and its settings from SSM, logs to CloudWatch, separate execution and task roles.
func taskDefinitionInput(n *names, image string) *ecs.RegisterTaskDefinitionInput {
	container := n.env.ECS.Container
	if container == "" {
		container = "app"
	}
	var tags []ecstypes.Tag
	for k, v := range n.tags() {
		tags = append(tags, ecstypes.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	return &ecs.RegisterTaskDefinitionInput{
		Family:                  aws.String(n.env.ECS.Service),
		RequiresCompatibilities: []ecstypes.Compatibility{ecstypes.CompatibilityFargate},
		NetworkMode:             ecstypes.NetworkModeAwsvpc,
		Cpu:                     aws.String("256"),
		Memory:                  aws.String("512"),
		ExecutionRoleArn:        aws.String(n.arn("iam", "role/"+n.execRole)),
		TaskRoleArn:             aws.String(n.arn("iam", "role/"+n.taskRole)),
		RuntimePlatform: &ecstypes.RuntimePlatform{
			CpuArchitecture:       ecstypes.CPUArchitectureX8664,
			OperatingSystemFamily: ecstypes.OSFamilyLinux,
		},
		Tags: tags,
		ContainerDefinitions: []ecstypes.ContainerDefinition{{
			Name:      aws.String(container),
			Image:     aws.String(image),
			Essential: aws.Bool(true),
			PortMappings: []ecstypes.PortMapping{{
				ContainerPort: aws.Int32(AppContainerPort), Protocol: ecstypes.TransportProtocolTcp, Name: aws.String("http"),
			}},
			Environment: []ecstypes.KeyValuePair{
				{Name: aws.String("APP_ENV"), Value: aws.String(n.env.Name)},
				{Name: aws.String("PORT"), Value: aws.String(fmt.Sprint(AppContainerPort))},
			},
			Secrets: []ecstypes.Secret{
				{Name: aws.String("APP_AUTH_TOKEN"), ValueFrom: aws.String(n.secretARN)},
				{Name: aws.String("LOG_LEVEL"), ValueFrom: aws.String(n.arn("ssm", "parameter"+n.paramPath+"LOG_LEVEL"))},
			},
			LogConfiguration: &ecstypes.LogConfiguration{
				LogDriver: ecstypes.LogDriverAwslogs,
				Options: map[string]string{
					"awslogs-group":         n.logGroup,
					"awslogs-region":        n.env.Region,
					"awslogs-stream-prefix": container,
				},
			},
			ReadonlyRootFilesystem: aws.Bool(true),
			User:                   aws.String("65532:65532"),
		}},
	}
}

func seedECS(ctx context.Context, cfg aws.Config, n *names, t Target, done *Seeded) error {
	client := ecs.NewFromConfig(cfg)
	cluster, service := n.env.ECS.Cluster, n.env.ECS.Service

	clusters, err := client.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{cluster}})
	if err != nil {
		return fmt.Errorf("describe cluster %s: %w", cluster, err)
	}
	if !hasActiveCluster(clusters.Clusters) {
		if _, err := client.CreateCluster(ctx, &ecs.CreateClusterInput{
			ClusterName:       aws.String(cluster),
			CapacityProviders: []string{"FARGATE", "FARGATE_SPOT"},
			Settings:          []ecstypes.ClusterSetting{{Name: ecstypes.ClusterSettingNameContainerInsights, Value: aws.String("enabled")}},
		}); err != nil {
			return fmt.Errorf("create cluster %s: %w", cluster, err)
		}
		done.add("ecs-cluster", cluster)
	}

	services, err := client.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: []string{service}})
	if err != nil {
		return fmt.Errorf("describe service %s: %w", service, err)
	}
	for _, s := range services.Services {
		if aws.ToString(s.Status) == "ACTIVE" {
			return nil // the release engine may have updated it since: leave it as it is
		}
	}

	taskDef, err := latestOrNewTaskDefinition(ctx, client, n, t.Image, done)
	if err != nil {
		return err
	}
	if _, err := client.CreateService(ctx, &ecs.CreateServiceInput{
		Cluster:        aws.String(cluster),
		ServiceName:    aws.String(service),
		TaskDefinition: aws.String(taskDef),
		DesiredCount:   aws.Int32(t.DesiredCount),
		LaunchType:     ecstypes.LaunchTypeFargate,
		NetworkConfiguration: &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{
			Subnets:        n.network.SubnetIDs,
			SecurityGroups: []string{n.network.SecurityGroupID},
			AssignPublicIp: ecstypes.AssignPublicIpDisabled,
		}},
		DeploymentConfiguration: &ecstypes.DeploymentConfiguration{
			MinimumHealthyPercent:    aws.Int32(100),
			MaximumPercent:           aws.Int32(200),
			DeploymentCircuitBreaker: &ecstypes.DeploymentCircuitBreaker{Enable: true, Rollback: true},
		},
		PropagateTags:        ecstypes.PropagateTagsService,
		EnableECSManagedTags: true,
	}); err != nil {
		return fmt.Errorf("create service %s in cluster %s: %w", service, cluster, err)
	}
	done.add("ecs-service", cluster+"/"+service)
	return nil
}

// latestOrNewTaskDefinition reuses the family's newest active revision (a re-seed after the service
// was deleted), or registers the first one.
func latestOrNewTaskDefinition(ctx context.Context, client *ecs.Client, n *names, image string, done *Seeded) (string, error) {
	family := n.env.ECS.Service
	list, err := client.ListTaskDefinitions(ctx, &ecs.ListTaskDefinitionsInput{
		FamilyPrefix: aws.String(family), Status: ecstypes.TaskDefinitionStatusActive, Sort: ecstypes.SortOrderDesc,
	})
	if err != nil {
		return "", fmt.Errorf("list task definitions of %s: %w", family, err)
	}
	if len(list.TaskDefinitionArns) > 0 {
		return list.TaskDefinitionArns[0], nil
	}
	out, err := client.RegisterTaskDefinition(ctx, taskDefinitionInput(n, image))
	if err != nil {
		return "", fmt.Errorf("register task definition %s: %w", family, err)
	}
	done.add("ecs-task-definition", aws.ToString(out.TaskDefinition.TaskDefinitionArn))
	return aws.ToString(out.TaskDefinition.TaskDefinitionArn), nil
}

func hasActiveCluster(clusters []ecstypes.Cluster) bool {
	for _, c := range clusters {
		if aws.ToString(c.Status) == "ACTIVE" {
			return true
		}
	}
	return false
}
