package awsseed

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awscreds "github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/platformteam/delivery/internal/sandbox/awsfront/credentials"
)

// LaptopUser is the IAM user whose keys the local environment's clients use (.sandbox/env): a developer
// with administrator rights in the local account, as on a laptop with an admin profile.
const LaptopUser = "sandbox-laptop"

// LaptopKeys returns working keys of the laptop user: previous (from the last `up`) when they still
// authenticate, else new ones (the user is created when missing, its old keys deleted). cfg is the
// local account's admin through the AWS front, so the front records the new key.
func LaptopKeys(ctx context.Context, cfg aws.Config, previous credentials.Credential) (credentials.Credential, bool, error) {
	if previous.AccessKeyID != "" {
		c := cfg.Copy()
		c.Credentials = awscreds.NewStaticCredentialsProvider(previous.AccessKeyID, previous.SecretAccessKey, "")
		if out, err := sts.NewFromConfig(c).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err == nil && aws.ToString(out.Arn) == previous.Principal {
			return previous, false, nil
		}
	}
	client := iam.NewFromConfig(cfg)
	user, err := client.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(LaptopUser)})
	var missing *iamtypes.NoSuchEntityException
	switch {
	case errors.As(err, &missing):
		created, err := client.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(LaptopUser)})
		if err != nil {
			return credentials.Credential{}, false, fmt.Errorf("create user %s: %w", LaptopUser, err)
		}
		user = &iam.GetUserOutput{User: created.User}
		if _, err := client.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(LaptopUser), PolicyName: aws.String("administrator"),
			PolicyDocument: aws.String(adminPolicy)}); err != nil {
			return credentials.Credential{}, false, fmt.Errorf("give %s its policy: %w", LaptopUser, err)
		}
	case err != nil:
		return credentials.Credential{}, false, fmt.Errorf("get user %s: %w", LaptopUser, err)
	}
	keys, err := client.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String(LaptopUser)})
	if err != nil {
		return credentials.Credential{}, false, fmt.Errorf("list the keys of %s: %w", LaptopUser, err)
	}
	for _, k := range keys.AccessKeyMetadata {
		if _, err := client.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String(LaptopUser), AccessKeyId: k.AccessKeyId}); err != nil {
			return credentials.Credential{}, false, fmt.Errorf("delete an old key of %s: %w", LaptopUser, err)
		}
	}
	key, err := client.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(LaptopUser)})
	if err != nil {
		return credentials.Credential{}, false, fmt.Errorf("create a key for %s: %w", LaptopUser, err)
	}
	return credentials.Credential{AccessKeyID: aws.ToString(key.AccessKey.AccessKeyId), SecretAccessKey: aws.ToString(key.AccessKey.SecretAccessKey),
		Principal: aws.ToString(user.User.Arn), UserID: aws.ToString(user.User.UserId), Account: arnAccountOf(aws.ToString(user.User.Arn)), Source: "CreateAccessKey"}, true, nil
}

func arnAccountOf(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 5 {
		return ""
	}
	return parts[4]
}
