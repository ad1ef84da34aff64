package awsseed

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// seedConfigKey creates the customer managed key of the app's configuration (stacks/shared/parameters:
// alias/<app>-<env>-config).
func seedConfigKey(ctx context.Context, cfg aws.Config, n *names, done *Seeded) error {
	client := kms.NewFromConfig(cfg)
	out, err := client.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(n.kmsAlias)})
	var missing *kmstypes.NotFoundException
	switch {
	case err == nil:
		n.kmsKeyARN = aws.ToString(out.KeyMetadata.Arn)
		return nil
	case !errors.As(err, &missing):
		return fmt.Errorf("describe key %s: %w", n.kmsAlias, err)
	}
	key, err := client.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("Runtime configuration and secrets of " + n.prefix),
		KeyUsage: kmstypes.KeyUsageTypeEncryptDecrypt})
	if err != nil {
		return fmt.Errorf("create the configuration key: %w", err)
	}
	if _, err := client.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String(n.kmsAlias), TargetKeyId: key.KeyMetadata.KeyId}); err != nil {
		return fmt.Errorf("create alias %s: %w", n.kmsAlias, err)
	}
	n.kmsKeyARN = aws.ToString(key.KeyMetadata.Arn)
	done.add("kms-key", n.kmsAlias)
	return nil
}

// parameters are the app's non-secret settings under /<app>/<env>/app/ (stacks/shared/parameters):
// the log level and the app bucket's name and URL, as the s3 stack's outputs name them (the chart's
// ExternalSecret of a staging or production release reads them; the bucket itself is not created).
func parameters(n *names) map[string]string {
	return map[string]string{
		"LOG_LEVEL":    "info",
		"S3_BUCKET":    n.appBucket,
		"READY_S3_URL": "https://" + n.appBucket + ".s3." + n.env.Region + ".amazonaws.com/",
	}
}

func randomToken() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// seedConfiguration creates the SSM parameters and the app's bearer token secret
// (<app>/<env>/app-auth-token, read as APP_AUTH_TOKEN), with a random value the first time.
func seedConfiguration(ctx context.Context, cfg aws.Config, n *names, done *Seeded) error {
	ssmc := ssm.NewFromConfig(cfg)
	for key, value := range parameters(n) {
		name := n.paramPath + key
		_, err := ssmc.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name)})
		var missing *ssmtypes.ParameterNotFound
		switch {
		case err == nil:
			continue
		case !errors.As(err, &missing):
			return fmt.Errorf("get parameter %s: %w", name, err)
		}
		if _, err := ssmc.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(name), Type: ssmtypes.ParameterTypeString,
			Value: aws.String(value), Description: aws.String(key + " of " + n.prefix)}); err != nil {
			return fmt.Errorf("put parameter %s: %w", name, err)
		}
		done.add("ssm-parameter", name)
	}
	sm := secretsmanager.NewFromConfig(cfg)
	out, err := sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(n.secret)})
	var missing *smtypes.ResourceNotFoundException
	switch {
	case err == nil:
		n.secretARN = aws.ToString(out.ARN)
		return nil
	case !errors.As(err, &missing):
		return fmt.Errorf("describe secret %s: %w", n.secret, err)
	}
	token, err := randomToken()
	if err != nil {
		return err
	}
	created, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(n.secret), KmsKeyId: aws.String(n.kmsKeyARN),
		Description: aws.String("APP_AUTH_TOKEN of " + n.prefix), SecretString: aws.String(token)})
	if err != nil {
		return fmt.Errorf("create secret %s: %w", n.secret, err)
	}
	n.secretARN = aws.ToString(created.ARN)
	done.add("secretsmanager-secret", n.secret)
	return nil
}
