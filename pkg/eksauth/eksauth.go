// Package eksauth gives the release engine access to an EKS cluster without the aws CLI or kubectl:
// the cluster's endpoint and CA from eks:DescribeCluster, and a bearer token generated in Go exactly as
// `aws eks get-token` makes it (a presigned STS GetCallerIdentity URL carrying the cluster name in the
// signed x-k8s-aws-id header, base64url-encoded behind the k8s-aws-v1. prefix).
package eksauth

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

const (
	// TokenPrefix marks an EKS IAM token.
	TokenPrefix = "k8s-aws-v1."
	// ClusterIDHeader binds the presigned request to one cluster.
	ClusterIDHeader = "x-k8s-aws-id"
	// presignSeconds is the presigned URL's own lifetime; EKS accepts the token for 15 minutes.
	presignSeconds = 60
	tokenLifetime  = 14 * time.Minute
)

// Token is a bearer token for one cluster.
type Token struct {
	Value      string
	Expiration time.Time
}

// NewToken presigns GetCallerIdentity for cluster with the credentials in cfg.
func NewToken(ctx context.Context, cfg aws.Config, cluster string, now time.Time) (Token, error) {
	if cluster == "" {
		return Token{}, errors.New("EKS cluster name is required (eks.cluster in delivery.yaml)")
	}
	presigner := sts.NewPresignClient(sts.NewFromConfig(cfg))
	req, err := presigner.PresignGetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}, func(po *sts.PresignOptions) {
		po.ClientOptions = append(po.ClientOptions, func(o *sts.Options) {
			o.APIOptions = append(o.APIOptions,
				smithyhttp.AddHeaderValue(ClusterIDHeader, cluster),
				smithyhttp.AddHeaderValue("X-Amz-Expires", fmt.Sprint(presignSeconds)))
		})
	})
	if err != nil {
		return Token{}, fmt.Errorf("presign STS GetCallerIdentity for cluster %s: %w (check the AWS credentials)", cluster, err)
	}
	return Token{Value: TokenPrefix + base64.RawURLEncoding.EncodeToString([]byte(req.URL)), Expiration: now.Add(tokenLifetime)}, nil
}

// ClusterDescriber is the part of the EKS API kubeconfig generation needs.
type ClusterDescriber interface {
	DescribeCluster(ctx context.Context, in *eks.DescribeClusterInput, optFns ...func(*eks.Options)) (*eks.DescribeClusterOutput, error)
}

// Kubeconfig builds an in-memory kubeconfig for cluster: endpoint and CA from DescribeCluster, and a
// fresh token. The token lasts about 14 minutes; build a new kubeconfig for each deploy.
func Kubeconfig(ctx context.Context, cfg aws.Config, api ClusterDescriber, cluster string) (*clientcmdapi.Config, Token, error) {
	out, err := api.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String(cluster)})
	var nf *ekstypes.ResourceNotFoundException
	if errors.As(err, &nf) {
		return nil, Token{}, fmt.Errorf("EKS cluster %s not found in %s: check eks.cluster in delivery.yaml and the region", cluster, cfg.Region)
	}
	if err != nil {
		return nil, Token{}, fmt.Errorf("describe EKS cluster %s: %w", cluster, err)
	}
	c := out.Cluster
	if c == nil || aws.ToString(c.Endpoint) == "" {
		return nil, Token{}, fmt.Errorf("EKS cluster %s has no endpoint yet (status %s): wait until it is ACTIVE", cluster, statusOf(c))
	}
	if c.Status != "" && c.Status != ekstypes.ClusterStatusActive && c.Status != ekstypes.ClusterStatusUpdating {
		return nil, Token{}, fmt.Errorf("EKS cluster %s is %s, not ACTIVE", cluster, c.Status)
	}
	var ca []byte
	if c.CertificateAuthority != nil && aws.ToString(c.CertificateAuthority.Data) != "" {
		if ca, err = base64.StdEncoding.DecodeString(aws.ToString(c.CertificateAuthority.Data)); err != nil {
			return nil, Token{}, fmt.Errorf("EKS cluster %s: certificate authority is not base64: %w", cluster, err)
		}
	}
	tok, err := NewToken(ctx, cfg, cluster, time.Now())
	if err != nil {
		return nil, Token{}, err
	}
	kc := clientcmdapi.NewConfig()
	kc.Clusters[cluster] = &clientcmdapi.Cluster{Server: aws.ToString(c.Endpoint), CertificateAuthorityData: ca}
	kc.AuthInfos[cluster] = &clientcmdapi.AuthInfo{Token: tok.Value}
	kc.Contexts[cluster] = &clientcmdapi.Context{Cluster: cluster, AuthInfo: cluster}
	kc.CurrentContext = cluster
	return kc, tok, nil
}

func statusOf(c *ekstypes.Cluster) string {
	if c == nil {
		return "unknown"
	}
	return string(c.Status)
}
