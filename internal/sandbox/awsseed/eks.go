package awsseed

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"

	"github.com/platformteam/delivery/internal/sandbox/ekstwin"
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

// seedAccessEntries gives the cluster the access entries the Terraform declares for the CI roles
// (rendered by internal/iampolicy from the iam module's template), plus the cluster creator's (the
// account's admin, as bootstrapClusterCreatorAdminPermissions does). The AWS front serves the access
// entries API for the twin clusters only.
func seedAccessEntries(ctx context.Context, n *names, t Target, done *Seeded) error {
	ids := t.Identities
	if ids == nil || !t.TwinCluster {
		return nil
	}
	entries := []ekstwin.DeclaredEntry{ekstwin.CreatorAccessEntry(n.arn("iam", "user/"+AdminUser))}
	for _, e := range ids.AccessEntries {
		entries = append(entries, ekstwin.DeclaredEntry{Name: e.Name, PrincipalARN: e.PrincipalARN, Policy: e.Policy, Scope: e.Scope,
			Namespaces: e.Namespaces, KubernetesGroups: e.KubernetesGroups})
	}
	changes, err := ekstwin.SeedAccessEntries(ctx, eks.NewFromConfig(t.AWS), "aws", n.env.EKS.Cluster, entries)
	for _, c := range changes {
		done.add("eks-access", c)
	}
	return err
}
