package awsfront

import (
	"context"
	"fmt"

	"github.com/platformteam/delivery/internal/sandbox/awsfront/credentials"
	"github.com/platformteam/delivery/internal/sandbox/awsfront/ecrtoken"
)

// The registry fronts ask the AWS front about ECR: these methods make *Front their authority.

// VerifyPassword checks a registry password GetAuthorizationToken issued.
func (f *Front) VerifyPassword(password string) (ecrtoken.Claims, error) {
	return f.tokens.Verify(password, f.now())
}

// AuthorizeRepository decides an ECR action of the password's principal on a repository of account:
// the principal's identity policies and the repository policy, across accounts as AWS does.
func (f *Front) AuthorizeRepository(ctx context.Context, who ecrtoken.Claims, action, account, repository string) error {
	region := f.cfg.Region
	if a, ok := f.cfg.Account(account); ok && a.Region != "" {
		region = a.Region
	}
	call := &Call{Service: "ecr", Operation: action, Region: region, Account: who.Account,
		Caller: credentials.Credential{Principal: who.Principal, Account: who.Account, AccessKeyID: who.AccessKeyID}}
	a := Access{Action: "ecr:" + action, Repository: repository,
		Resource: fmt.Sprintf("arn:aws:ecr:%s:%s:repository/%s", region, account, repository)}
	if account != who.Account {
		a.ResourceAccount = account
	}
	if e := f.Authorize(ctx, call, a); e != nil {
		return e
	}
	return nil
}
