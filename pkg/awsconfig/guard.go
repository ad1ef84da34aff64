package awsconfig

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/platformteam/delivery/pkg/environment"
)

// CallerIdentityAPI is the part of STS the account guard needs (satisfied by *sts.Client).
type CallerIdentityAPI interface {
	GetCallerIdentity(ctx context.Context, in *sts.GetCallerIdentityInput, optFns ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}

// Identity is who a set of credentials is, as STS reports it.
type Identity struct {
	Account string `json:"account"`
	ARN     string `json:"arn"`
	UserID  string `json:"user_id"`
}

// AccountMismatchError is the guard's refusal: the credentials belong to another account than the
// environment's. Nothing was called but sts:GetCallerIdentity.
type AccountMismatchError struct {
	// Environment is the environment's name and Want its account_id.
	Environment string
	Want        string
	// Got is who the credentials are.
	Got Identity
}

func (e *AccountMismatchError) Error() string {
	return fmt.Sprintf("the AWS credentials are %s in account %s, but environment %s is account %s (account_id in %s): "+
		"refusing to make any call, so nothing changes in the wrong account; use credentials (profile, role or keys) for account %s",
		e.Got.ARN, e.Got.Account, e.Environment, e.Want, filepath.Join(environment.Dir, e.Environment, environment.FileName), e.Want)
}

// GuardAccount asks STS who the credentials are (sts:GetCallerIdentity, which needs no permission) and
// returns an *AccountMismatchError unless the account is the environment's account_id. Call it before
// any other call: when it fails, nothing else has been called.
func GuardAccount(ctx context.Context, api CallerIdentityAPI, env *environment.Environment) (Identity, error) {
	out, err := api.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return Identity{}, fmt.Errorf("check which AWS account the credentials are for (sts:GetCallerIdentity): %w "+
			"(set AWS_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY[/AWS_SESSION_TOKEN], or run with a role: GitHub OIDC, CodeBuild)", err)
	}
	id := Identity{Account: aws.ToString(out.Account), ARN: aws.ToString(out.Arn), UserID: aws.ToString(out.UserId)}
	if id.Account == "" {
		return id, errors.New("sts:GetCallerIdentity returned no account: cannot check the credentials belong to the environment's account")
	}
	if id.Account != env.AccountID {
		return id, &AccountMismatchError{Environment: env.Name, Want: env.AccountID, Got: id}
	}
	return id, nil
}

// Connect is how the engines get AWS access to an environment: Load, then GuardAccount with STS at the
// same endpoint and credentials. Every command that calls AWS goes through it first.
func Connect(ctx context.Context, env *environment.Environment, opts Options) (aws.Config, Identity, error) {
	cfg, err := Load(ctx, env, opts)
	if err != nil {
		return aws.Config{}, Identity{}, err
	}
	id, err := GuardAccount(ctx, sts.NewFromConfig(cfg), env)
	if err != nil {
		return aws.Config{}, id, err
	}
	return cfg, id, nil
}
