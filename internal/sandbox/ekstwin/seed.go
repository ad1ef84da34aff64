package ekstwin

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
)

// DeclaredEntry is an access entry as the Terraform declares it (iampolicy.AccessEntry has this shape:
// one policy association per entry).
type DeclaredEntry struct {
	Name             string
	PrincipalARN     string
	Policy           string // access policy name, e.g. AmazonEKSEditPolicy
	Scope            string // cluster or namespace
	Namespaces       []string
	KubernetesGroups []string
}

// AccessEntryAPI is the part of the EKS API seeding uses (the twin's, through the AWS front).
type AccessEntryAPI interface {
	DescribeAccessEntry(ctx context.Context, in *eks.DescribeAccessEntryInput, optFns ...func(*eks.Options)) (*eks.DescribeAccessEntryOutput, error)
	CreateAccessEntry(ctx context.Context, in *eks.CreateAccessEntryInput, optFns ...func(*eks.Options)) (*eks.CreateAccessEntryOutput, error)
	UpdateAccessEntry(ctx context.Context, in *eks.UpdateAccessEntryInput, optFns ...func(*eks.Options)) (*eks.UpdateAccessEntryOutput, error)
	ListAssociatedAccessPolicies(ctx context.Context, in *eks.ListAssociatedAccessPoliciesInput, optFns ...func(*eks.Options)) (*eks.ListAssociatedAccessPoliciesOutput, error)
	AssociateAccessPolicy(ctx context.Context, in *eks.AssociateAccessPolicyInput, optFns ...func(*eks.Options)) (*eks.AssociateAccessPolicyOutput, error)
}

// CreatorAccessEntry is the entry EKS gives the principal that created a cluster
// (bootstrapClusterCreatorAdminPermissions, which modules/eks-cluster turns on): cluster admin.
func CreatorAccessEntry(creatorARN string) DeclaredEntry {
	return DeclaredEntry{Name: "cluster-creator", PrincipalARN: creatorARN, Policy: "AmazonEKSClusterAdminPolicy", Scope: ScopeCluster}
}

// SeedAccessEntries makes the cluster's access entries what the Terraform declares (iampolicy
// renders them from the same template the iam stack loads): it creates missing entries, puts back
// changed Kubernetes groups and associates each entry's policy with its scope. Entries it does not
// know are left alone. It returns a line per change.
func SeedAccessEntries(ctx context.Context, api AccessEntryAPI, partition, cluster string, entries []DeclaredEntry) ([]string, error) {
	var changes []string
	for _, e := range entries {
		policy, ok := policyByARN(AccessPolicy{Name: e.Policy}.ARN(partition))
		if !ok {
			return changes, fmt.Errorf("access entry %s: policy %s is not one the sandbox twin knows (%s)", e.Name, e.Policy, policyNames())
		}
		groups := e.KubernetesGroups
		if groups == nil {
			groups = []string{}
		}
		desc, err := api.DescribeAccessEntry(ctx, &eks.DescribeAccessEntryInput{ClusterName: aws.String(cluster), PrincipalArn: aws.String(e.PrincipalARN)})
		var nf *ekstypes.ResourceNotFoundException
		switch {
		case errors.As(err, &nf):
			if _, err := api.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: aws.String(cluster), PrincipalArn: aws.String(e.PrincipalARN), KubernetesGroups: groups}); err != nil {
				return changes, fmt.Errorf("create the access entry %s (%s) in %s: %w", e.Name, e.PrincipalARN, cluster, err)
			}
			changes = append(changes, fmt.Sprintf("EKS access entry %s in %s: %s", e.Name, cluster, e.PrincipalARN))
		case err != nil:
			return changes, fmt.Errorf("describe the access entry %s (%s) in %s: %w", e.Name, e.PrincipalARN, cluster, err)
		case !slices.Equal(desc.AccessEntry.KubernetesGroups, groups) && !(len(desc.AccessEntry.KubernetesGroups) == 0 && len(groups) == 0):
			if _, err := api.UpdateAccessEntry(ctx, &eks.UpdateAccessEntryInput{ClusterName: aws.String(cluster), PrincipalArn: aws.String(e.PrincipalARN), KubernetesGroups: groups}); err != nil {
				return changes, fmt.Errorf("update the access entry %s in %s: %w", e.Name, cluster, err)
			}
			changes = append(changes, fmt.Sprintf("EKS access entry %s in %s: Kubernetes groups %v", e.Name, cluster, groups))
		}
		scope := &ekstypes.AccessScope{Type: ekstypes.AccessScopeType(e.Scope), Namespaces: e.Namespaces}
		if e.Scope == ScopeCluster {
			scope.Namespaces = nil
		}
		listed, err := api.ListAssociatedAccessPolicies(ctx, &eks.ListAssociatedAccessPoliciesInput{ClusterName: aws.String(cluster), PrincipalArn: aws.String(e.PrincipalARN)})
		if err != nil {
			return changes, fmt.Errorf("list the access policies of %s in %s: %w", e.Name, cluster, err)
		}
		if associated(listed.AssociatedAccessPolicies, policy.ARN(partition), scope) {
			continue
		}
		if _, err := api.AssociateAccessPolicy(ctx, &eks.AssociateAccessPolicyInput{ClusterName: aws.String(cluster), PrincipalArn: aws.String(e.PrincipalARN),
			PolicyArn: aws.String(policy.ARN(partition)), AccessScope: scope}); err != nil {
			return changes, fmt.Errorf("associate %s with the access entry %s in %s: %w", e.Policy, e.Name, cluster, err)
		}
		changes = append(changes, fmt.Sprintf("EKS access policy %s (%s %v) for %s in %s", e.Policy, e.Scope, scope.Namespaces, e.Name, cluster))
	}
	return changes, nil
}

func associated(have []ekstypes.AssociatedAccessPolicy, policyARN string, scope *ekstypes.AccessScope) bool {
	return slices.ContainsFunc(have, func(p ekstypes.AssociatedAccessPolicy) bool {
		return aws.ToString(p.PolicyArn) == policyARN && p.AccessScope != nil && p.AccessScope.Type == scope.Type &&
			slices.Equal(p.AccessScope.Namespaces, scope.Namespaces)
	})
}
