package awsseed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// seededRole is an IAM role with the service allowed to assume it and AWS managed policies.
type seededRole struct {
	name     string
	service  string // trusted principal, e.g. ecs-tasks.amazonaws.com
	policies []string
	purpose  string
}

func seedRoles(n *seedNames) []seededRole {
	return []seededRole{
		{name: n.execRole, service: "ecs-tasks.amazonaws.com", purpose: "ECS pulls the image, writes logs, reads SSM secrets",
			policies: []string{"arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"}},
		{name: n.taskRole, service: "ecs-tasks.amazonaws.com", purpose: "the app's own AWS permissions"},
		{name: n.eksRole, service: "eks.amazonaws.com", purpose: "the EKS control plane",
			policies: []string{"arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"}},
	}
}

func trustPolicy(service string) string {
	doc := map[string]any{
		"Version": "2012-10-17",
		"Statement": []map[string]any{{
			"Effect":    "Allow",
			"Principal": map[string]string{"Service": service},
			"Action":    "sts:AssumeRole",
		}},
	}
	b, _ := json.Marshal(doc)
	return string(b)
}

func seedIAM(ctx context.Context, cfg aws.Config, n *seedNames, done *Seeded) error {
	client := iam.NewFromConfig(cfg)
	for _, role := range seedRoles(n) {
		_, err := client.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(role.name)})
		var missing *iamtypes.NoSuchEntityException
		switch {
		case err == nil:
			continue
		case !errors.As(err, &missing):
			return fmt.Errorf("get role %s: %w", role.name, err)
		}
		var tags []iamtypes.Tag
		for k, v := range n.tags() {
			tags = append(tags, iamtypes.Tag{Key: aws.String(k), Value: aws.String(v)})
		}
		if _, err := client.CreateRole(ctx, &iam.CreateRoleInput{
			RoleName:                 aws.String(role.name),
			AssumeRolePolicyDocument: aws.String(trustPolicy(role.service)),
			Description:              aws.String(role.purpose),
			Tags:                     tags,
		}); err != nil {
			return fmt.Errorf("create role %s: %w", role.name, err)
		}
		for _, policy := range role.policies {
			if _, err := client.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(role.name), PolicyArn: aws.String(policy)}); err != nil {
				return fmt.Errorf("attach %s to role %s: %w", policy, role.name, err)
			}
		}
		done.add("iam-role", role.name)
	}
	return nil
}
