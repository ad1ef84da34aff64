package eksauth

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// ErrUnauthorized marks a cluster's refusal of the caller's EKS token (HTTP 401).
var ErrUnauthorized = errors.New("the EKS cluster did not accept the token")

// CallerIdentifier is the part of STS a diagnosis needs.
type CallerIdentifier interface {
	GetCallerIdentity(ctx context.Context, in *sts.GetCallerIdentityInput, optFns ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}

// ExplainUnauthorized turns a Kubernetes 401 into an error naming the principal and the likely fix;
// any other error is returned unchanged. The API server says only "Unauthorized": EKS answers so when
// the principal has no access entry in the cluster, or the token expired or was made for another
// cluster. It asks STS who the caller is, which only happens on this failure path.
func ExplainUnauthorized(ctx context.Context, id CallerIdentifier, cluster string, err error) error {
	if err == nil || !apierrors.IsUnauthorized(err) {
		return err
	}
	who := "the AWS identity in use"
	if out, stsErr := id.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); stsErr == nil {
		who = aws.ToString(out.Arn)
	}
	return fmt.Errorf("%w: EKS cluster %s answered 401 Unauthorized to %s: give it an access entry in the cluster "+
		"(access_entries of stacks/platform/eks, declared with the roles in stacks/shared/iam) with an access policy "+
		"for the namespace, or check that the credentials belong to the cluster's account: %v", ErrUnauthorized, cluster, who, err)
}
