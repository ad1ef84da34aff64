package awsseed

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/platformteam/delivery/internal/sandbox/kube"
)

// seededParameter is one SSM parameter under /<app>/<env>/.
type seededParameter struct {
	name   string // relative to the prefix
	kind   ssmtypes.ParameterType
	value  func() (string, error)
	secret bool
}

func seedParameterList() []seededParameter {
	return []seededParameter{
		{name: "log-level", kind: ssmtypes.ParameterTypeString, value: func() (string, error) { return "info", nil }},
		{name: "api-token", kind: ssmtypes.ParameterTypeSecureString, secret: true, value: randomToken},
	}
}

func randomToken() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// APITokenParameter is the SSM parameter whose value the app reads as its bearer token.
func (n *seedNames) APITokenParameter() string { return n.ssmPrefix + "api-token" }

func seedParameters(ctx context.Context, cfg aws.Config, n *seedNames, done *Seeded) error {
	client := ssm.NewFromConfig(cfg)
	for _, p := range seedParameterList() {
		name := n.ssmPrefix + p.name
		_, err := client.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name)})
		var missing *ssmtypes.ParameterNotFound
		switch {
		case err == nil:
			continue
		case !errors.As(err, &missing):
			return fmt.Errorf("get parameter %s: %w", name, err)
		}
		value, err := p.value()
		if err != nil {
			return fmt.Errorf("generate a value for %s: %w", name, err)
		}
		if _, err := client.PutParameter(ctx, &ssm.PutParameterInput{
			Name: aws.String(name), Type: p.kind, Value: aws.String(value),
			Description: aws.String("seeded by the sandbox for " + n.prefix),
		}); err != nil {
			return fmt.Errorf("put parameter %s: %w", name, err)
		}
		done.add("ssm-parameter", name)
	}
	return nil
}

func seedECR(ctx context.Context, cfg aws.Config, n *seedNames, done *Seeded) error {
	client := ecr.NewFromConfig(cfg)
	_, err := client.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{n.app}})
	var missing *ecrtypes.RepositoryNotFoundException
	switch {
	case err == nil:
		return nil
	case !errors.As(err, &missing):
		return fmt.Errorf("describe repository %s: %w", n.app, err)
	}
	var tags []ecrtypes.Tag
	for k, v := range n.tags() {
		tags = append(tags, ecrtypes.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	if _, err := client.CreateRepository(ctx, &ecr.CreateRepositoryInput{
		RepositoryName:             aws.String(n.app),
		ImageTagMutability:         ecrtypes.ImageTagMutabilityImmutable,
		ImageScanningConfiguration: &ecrtypes.ImageScanningConfiguration{ScanOnPush: true},
		EncryptionConfiguration:    &ecrtypes.EncryptionConfiguration{EncryptionType: ecrtypes.EncryptionTypeAes256},
		Tags:                       tags,
	}); err != nil {
		return fmt.Errorf("create repository %s: %w", n.app, err)
	}
	done.add("ecr-repository", n.app)
	return nil
}

// seedEKS records the EKS cluster. moto invents the endpoint and CA of the record; clients of the
// local environment reach the real local API server through endpoints.kubeconfig instead.
func seedEKS(ctx context.Context, cfg aws.Config, n *seedNames, done *Seeded) error {
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
		Version: aws.String(kubeMinorVersion(kube.KubernetesVersion)),
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

// kubeMinorVersion turns v1.37.2 into 1.37 (EKS versions name a minor release).
func kubeMinorVersion(v string) string {
	var major, minor int
	if _, err := fmt.Sscanf(v, "v%d.%d", &major, &minor); err != nil {
		return v
	}
	return fmt.Sprintf("%d.%d", major, minor)
}
