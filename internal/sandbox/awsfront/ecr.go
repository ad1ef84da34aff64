package awsfront

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"

	"github.com/platformteam/delivery/internal/sandbox/awsfront/ecrtoken"
	"github.com/platformteam/delivery/internal/sandbox/iameval"
)

func (f *Front) registerECR() {
	f.HandleOperation("ecr", "GetAuthorizationToken", f.getAuthorizationToken)
}

// getAuthorizationToken answers as ECR does, with a password the twin's registry fronts accept: signed
// by the front, valid 12 hours, naming the caller, and the account's twin registry as proxyEndpoint.
func (f *Front) getAuthorizationToken(w http.ResponseWriter, r *http.Request, call *Call) {
	if e := f.Authorize(r.Context(), call, Access{Action: "ecr:GetAuthorizationToken", Resource: "*"}); e != nil {
		WriteError(w, call, e)
		return
	}
	registries := call.Strs("registryIds")
	if len(registries) == 0 {
		registries = []string{call.Caller.Account}
	}
	exp := f.now().Add(ecrtoken.Lifetime).UTC()
	password, err := f.tokens.Sign(ecrtoken.Claims{Principal: call.Caller.Principal, Account: call.Caller.Account,
		AccessKeyID: call.Caller.AccessKeyID, Expires: exp})
	if err != nil {
		WriteError(w, call, &APIError{Status: http.StatusInternalServerError, Code: "ServerException", Message: err.Error()})
		return
	}
	var data []map[string]any
	for _, id := range registries {
		acct, ok := f.cfg.Account(id)
		if !ok {
			WriteError(w, call, &APIError{Status: http.StatusBadRequest, Code: "InvalidParameterException",
				Message: fmt.Sprintf("Invalid parameter at 'registryIds' failed to satisfy constraint: registry %s is not one of the sandbox's accounts %v", id, f.accountIDs())})
			return
		}
		data = append(data, map[string]any{"authorizationToken": ecrtoken.AuthorizationToken(password),
			"expiresAt": float64(exp.Unix()), "proxyEndpoint": acct.RegistryEndpoint})
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(map[string]any{"authorizationData": data})
}

// repositoryPolicy reads an ECR repository's policy from moto (nil when it has none or the repository
// does not exist: then no resource policy grants anything).
func (f *Front) repositoryPolicy(ctx context.Context, account, repository string) (*iameval.Policy, error) {
	cfg, err := f.AdminConfig(account)
	if err != nil {
		return nil, err
	}
	out, err := ecr.NewFromConfig(cfg).GetRepositoryPolicy(ctx, &ecr.GetRepositoryPolicyInput{RegistryId: aws.String(account), RepositoryName: aws.String(repository)})
	var noPolicy *ecrtypes.RepositoryPolicyNotFoundException
	var noRepo *ecrtypes.RepositoryNotFoundException
	if errors.As(err, &noPolicy) || errors.As(err, &noRepo) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the policy of repository %s in %s: %w", repository, account, err)
	}
	p, err := iameval.Parse(aws.ToString(out.PolicyText))
	if err != nil {
		return nil, fmt.Errorf("repository %s policy: %w", repository, err)
	}
	return p, nil
}

// RepositoryExists reports whether an account's ECR has the repository (the registry fronts refuse
// pushes and pulls of repositories ECR does not have).
func (f *Front) RepositoryExists(ctx context.Context, account, repository string) (bool, error) {
	cfg, err := f.AdminConfig(account)
	if err != nil {
		return false, err
	}
	_, err = ecr.NewFromConfig(cfg).DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RegistryId: aws.String(account), RepositoryNames: []string{repository}})
	var noRepo *ecrtypes.RepositoryNotFoundException
	if errors.As(err, &noRepo) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("describe repository %s in %s: %w", repository, account, err)
	}
	return true, nil
}

// RepositoryImmutable reports whether the repository's tags are IMMUTABLE.
func (f *Front) RepositoryImmutable(ctx context.Context, account, repository string) (bool, error) {
	cfg, err := f.AdminConfig(account)
	if err != nil {
		return false, err
	}
	out, err := ecr.NewFromConfig(cfg).DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RegistryId: aws.String(account), RepositoryNames: []string{repository}})
	if err != nil {
		return false, fmt.Errorf("describe repository %s in %s: %w", repository, account, err)
	}
	if len(out.Repositories) == 0 {
		return false, fmt.Errorf("repository %s not found in %s", repository, account)
	}
	m := out.Repositories[0].ImageTagMutability
	return m == ecrtypes.ImageTagMutabilityImmutable || m == "IMMUTABLE_WITH_EXCLUSION", nil
}
