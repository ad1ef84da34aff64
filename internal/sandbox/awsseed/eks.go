package awsseed

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
)

// seedEKS records the EKS cluster (moto keeps the record; the AWS front answers DescribeCluster with the
// sandbox API server of the account's cluster).
func seedEKS(ctx context.Context, cfg aws.Config, n *names, version string, done *Seeded) error {
	client := eks.NewFromConfig(cfg)
	name := n.env.EKS.Cluster
	_, err := client.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String(name)})
	var missing *ekstypes.ResourceNotFoundException
	switch {
	case err == nil:
		return nil
	case !errors.As(err, &missing):
		return fmt.Errorf("describe cluster %s: %w", name, err)
	}
	if _, err := client.CreateCluster(ctx, &eks.CreateClusterInput{
		Name:    aws.String(name),
		Version: aws.String(version),
		RoleArn: aws.String(n.arn("iam", "role/"+n.eksRole)),
		ResourcesVpcConfig: &ekstypes.VpcConfigRequest{
			SubnetIds:             n.network.SubnetIDs,
			SecurityGroupIds:      []string{n.network.SecurityGroupID},
			EndpointPrivateAccess: aws.Bool(true),
			EndpointPublicAccess:  aws.Bool(false),
		},
		AccessConfig: &ekstypes.CreateAccessConfigRequest{AuthenticationMode: ekstypes.AuthenticationModeApi},
		Tags:         n.tags(),
	}); err != nil {
		return fmt.Errorf("create cluster %s: %w", name, err)
	}
	done.add("eks-cluster", name)
	return nil
}
