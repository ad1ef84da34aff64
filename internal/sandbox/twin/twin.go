// Package twin is the client side of the sandbox's twin accounts for tests and scripts: where their
// state lives, a GitHub-like token for a job, and the credentials AWS STS gives that job's role.
package twin

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awscreds "github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/platformteam/delivery/internal/sandbox/oidc"
)

// Dir is the twin's state directory under the sandbox state directory.
func Dir(stateDir string) string { return filepath.Join(stateDir, "twin") }

// IssuerKeyFile is the OIDC issuer's signing key (0600).
func IssuerKeyFile(stateDir string) string {
	return filepath.Join(Dir(stateDir), "oidc", "signing-key.pem")
}

// FrontConfigFile is the AWS front's configuration (0600: it holds the accounts' admin identities).
func FrontConfigFile(stateDir string) string { return filepath.Join(Dir(stateDir), "front.json") }

// FrontStateDir is the AWS front's own state (credential registry, KMS key material, ECR token key).
func FrontStateDir(stateDir string) string { return filepath.Join(Dir(stateDir), "front") }

// Issuer loads the sandbox's OIDC issuer (it exists once `sandbox up` ran).
func Issuer(stateDir string) (*oidc.Issuer, error) {
	return oidc.LoadOrCreate(IssuerKeyFile(stateDir))
}

// Token mints the token GitHub would give job, for audience sts.amazonaws.com.
func Token(stateDir string, job oidc.Job, now time.Time) (string, error) {
	iss, err := Issuer(stateDir)
	if err != nil {
		return "", err
	}
	return iss.Mint(job.Claims(oidc.STSAudience), now)
}

// AssumeRoleWithWebIdentity exchanges a token for the role's credentials at the AWS endpoint, as
// aws-actions/configure-aws-credentials does.
func AssumeRoleWithWebIdentity(ctx context.Context, endpoint, region, roleARN, session, token string) (aws.Credentials, error) {
	cfg := aws.Config{Region: region, BaseEndpoint: aws.String(endpoint), Credentials: aws.AnonymousCredentials{},
		HTTPClient: &http.Client{Timeout: 30 * time.Second}}
	out, err := sts.NewFromConfig(cfg).AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{
		RoleArn: aws.String(roleARN), RoleSessionName: aws.String(session), WebIdentityToken: aws.String(token)})
	if err != nil {
		return aws.Credentials{}, fmt.Errorf("assume %s with a web identity: %w", roleARN, err)
	}
	c := out.Credentials
	return aws.Credentials{AccessKeyID: aws.ToString(c.AccessKeyId), SecretAccessKey: aws.ToString(c.SecretAccessKey),
		SessionToken: aws.ToString(c.SessionToken), CanExpire: true, Expires: aws.ToTime(c.Expiration)}, nil
}

// Config is an SDK configuration with static credentials at the AWS endpoint.
func Config(endpoint, region string, c aws.Credentials) aws.Config {
	return aws.Config{Region: region, BaseEndpoint: aws.String(endpoint),
		Credentials: awscreds.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, c.SessionToken)}
}
