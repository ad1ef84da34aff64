// Package awsseed prepares the twin accounts in moto: the bootstrap (an admin identity per account,
// created directly in moto) and the seeding, through the AWS front, of what each environment's stacks
// would create.
//
// moto runs without its own IAM enforcement: moto 5.2.1 checks identity policies against resource "*"
// only (a resource-scoped Allow is refused), ignores conditions and trust policies, and refuses
// correctly signed EKS REST GETs (SignatureDoesNotMatch, boto3 included) once INITIAL_NO_AUTH_ACTION_COUNT
// is reached. The AWS front authenticates and authorizes every call instead; moto is reached only
// through it (loopback).
package awsseed

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awscreds "github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/platformteam/delivery/internal/sandbox/awsfront/credentials"
)

// AdminUser is the name of the bootstrap identity in every account.
const AdminUser = "sandbox-admin"

// adminPolicy is the bootstrap identity's inline policy.
var adminPolicy = mustJSON(map[string]any{
	"Version":   "2012-10-17",
	"Statement": []map[string]any{{"Sid": "SandboxAdmin", "Effect": "Allow", "Action": "*", "Resource": "*"}},
})

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// Bootstrap creates the admin identity of each account directly in moto (motoURL) and returns its
// credentials by account: three requests per account (CreateUser, PutUserPolicy, CreateAccessKey),
// never retried. Run it once per moto process: a second run finds the users and fails.
func Bootstrap(ctx context.Context, motoURL, region string, accounts []string) (map[string]credentials.Credential, error) {
	out := map[string]credentials.Credential{}
	for _, account := range accounts {
		// moto takes any key here; x-moto-account-id picks the account (the front strips that header
		// from every client request).
		cfg := aws.Config{
			Region:           region,
			Credentials:      awscreds.NewStaticCredentialsProvider("bootstrap", "bootstrap", ""),
			BaseEndpoint:     aws.String(motoURL),
			RetryMaxAttempts: 1,
			HTTPClient:       &http.Client{Timeout: 30 * time.Second},
		}
		client := iam.NewFromConfig(cfg, func(o *iam.Options) {
			o.APIOptions = append(o.APIOptions, smithyhttp.AddHeaderValue("x-moto-account-id", account))
		})
		user, err := client.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(AdminUser)})
		if err != nil {
			return nil, fmt.Errorf("bootstrap account %s: create the admin user: %w", account, err)
		}
		if _, err := client.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(AdminUser),
			PolicyName: aws.String("sandbox-admin"), PolicyDocument: aws.String(adminPolicy)}); err != nil {
			return nil, fmt.Errorf("bootstrap account %s: give the admin user its policy: %w", account, err)
		}
		key, err := client.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(AdminUser)})
		if err != nil {
			return nil, fmt.Errorf("bootstrap account %s: create the admin key: %w", account, err)
		}
		out[account] = credentials.Credential{
			AccessKeyID:     aws.ToString(key.AccessKey.AccessKeyId),
			SecretAccessKey: aws.ToString(key.AccessKey.SecretAccessKey),
			Principal:       aws.ToString(user.User.Arn),
			UserID:          aws.ToString(user.User.UserId),
			Account:         account,
			Source:          "Bootstrap",
		}
	}
	return out, nil
}
