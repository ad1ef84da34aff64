package externalsecrets

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// Store services of the AWS provider.
const (
	SecretsManager = "SecretsManager"
	ParameterStore = "ParameterStore"
)

// Provider reads a remote key of a store's service.
type Provider interface {
	Value(ctx context.Context, service, region, key string) (string, error)
}

// AWSProvider reads through the AWS API with one identity (the operator's).
type AWSProvider struct {
	Config aws.Config
}

// Value implements Provider.
func (p AWSProvider) Value(ctx context.Context, service, region, key string) (string, error) {
	cfg := p.Config.Copy()
	if region != "" {
		cfg.Region = region
	}
	switch service {
	case SecretsManager:
		out, err := secretsmanager.NewFromConfig(cfg).GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(key)})
		if err != nil {
			return "", err
		}
		if out.SecretString != nil {
			return *out.SecretString, nil
		}
		return string(out.SecretBinary), nil
	case ParameterStore:
		out, err := ssm.NewFromConfig(cfg).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(key), WithDecryption: aws.Bool(true)})
		if err != nil {
			return "", err
		}
		return aws.ToString(out.Parameter.Value), nil
	}
	return "", fmt.Errorf("store service %q is not one the sandbox serves (SecretsManager, ParameterStore)", service)
}

// property picks a key of a JSON secret value, as remoteRef.property does.
func property(value, name string) (string, error) {
	if name == "" {
		return value, nil
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(value), &doc); err != nil {
		return "", errors.New("the value is not a JSON object, so it has no property " + name)
	}
	v, ok := doc[name]
	if !ok {
		return "", fmt.Errorf("key %s does not exist in secret", name)
	}
	if s, ok := v.(string); ok {
		return s, nil
	}
	data, err := json.Marshal(v)
	return string(data), err
}
