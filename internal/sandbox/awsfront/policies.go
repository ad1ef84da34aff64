package awsfront

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/platformteam/delivery/internal/sandbox/iameval"
)

// policyTTL bounds how long a principal's policies are cached; IAM writes through the front invalidate
// the account's cache at once, so the TTL only matters for writes that bypass the front.
const policyTTL = 30 * time.Second

// policyStore reads principals' identity policies (inline and attached, and a user's groups') from
// moto as the account's admin, and caches them per principal.
type policyStore struct {
	backend *backend
	region  string
	now     func() time.Time

	mu    sync.Mutex
	cache map[string]cachedPolicies // by principal ARN
}

type cachedPolicies struct {
	policies []iameval.NamedPolicy
	fetched  time.Time
}

func newPolicyStore(b *backend, region string) *policyStore {
	return &policyStore{backend: b, region: region, now: time.Now, cache: map[string]cachedPolicies{}}
}

// invalidate forgets the cached policies of one account's principals (an IAM write happened there).
func (s *policyStore) invalidate(account string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for arn := range s.cache {
		if arnAccount(arn) == account {
			delete(s.cache, arn)
		}
	}
}

// identityPolicies returns the identity policies of a caller ARN (user or assumed-role session).
func (s *policyStore) identityPolicies(ctx context.Context, principal string) ([]iameval.NamedPolicy, error) {
	s.mu.Lock()
	if c, ok := s.cache[principal]; ok && s.now().Sub(c.fetched) < policyTTL {
		s.mu.Unlock()
		return c.policies, nil
	}
	s.mu.Unlock()
	account := arnAccount(principal)
	cfg, err := s.backend.adminConfig(account, s.region)
	if err != nil {
		return nil, err
	}
	client := iam.NewFromConfig(cfg)
	var policies []iameval.NamedPolicy
	resource := arnResource(principal)
	switch {
	case strings.HasPrefix(resource, "assumed-role/"):
		role, _, _ := strings.Cut(strings.TrimPrefix(resource, "assumed-role/"), "/")
		policies, err = rolePolicies(ctx, client, role)
	case strings.HasPrefix(resource, "user/"):
		user := resource[strings.LastIndex(resource, "/")+1:]
		policies, err = userPolicies(ctx, client, user)
	default:
		return nil, fmt.Errorf("principal %s is neither a user nor an assumed role", principal)
	}
	if err != nil {
		return nil, fmt.Errorf("read the identity policies of %s: %w", principal, err)
	}
	s.mu.Lock()
	s.cache[principal] = cachedPolicies{policies: policies, fetched: s.now()}
	s.mu.Unlock()
	return policies, nil
}

func rolePolicies(ctx context.Context, client *iam.Client, role string) ([]iameval.NamedPolicy, error) {
	var out []iameval.NamedPolicy
	names, err := client.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String(role)})
	if err != nil {
		return nil, err
	}
	for _, name := range names.PolicyNames {
		p, err := client.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String(name)})
		if err != nil {
			return nil, err
		}
		np, err := named("role "+role+" inline policy "+name, aws.ToString(p.PolicyDocument))
		if err != nil {
			return nil, err
		}
		out = append(out, np)
	}
	attached, err := client.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(role)})
	if err != nil {
		return nil, err
	}
	for _, a := range attached.AttachedPolicies {
		np, err := managedPolicy(ctx, client, aws.ToString(a.PolicyArn))
		if err != nil {
			return nil, err
		}
		out = append(out, np)
	}
	return out, nil
}

func userPolicies(ctx context.Context, client *iam.Client, user string) ([]iameval.NamedPolicy, error) {
	var out []iameval.NamedPolicy
	names, err := client.ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: aws.String(user)})
	if err != nil {
		return nil, err
	}
	for _, name := range names.PolicyNames {
		p, err := client.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: aws.String(user), PolicyName: aws.String(name)})
		if err != nil {
			return nil, err
		}
		np, err := named("user "+user+" inline policy "+name, aws.ToString(p.PolicyDocument))
		if err != nil {
			return nil, err
		}
		out = append(out, np)
	}
	attached, err := client.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: aws.String(user)})
	if err != nil {
		return nil, err
	}
	for _, a := range attached.AttachedPolicies {
		np, err := managedPolicy(ctx, client, aws.ToString(a.PolicyArn))
		if err != nil {
			return nil, err
		}
		out = append(out, np)
	}
	groups, err := client.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String(user)})
	if err != nil {
		return nil, err
	}
	for _, g := range groups.Groups {
		gnames, err := client.ListGroupPolicies(ctx, &iam.ListGroupPoliciesInput{GroupName: g.GroupName})
		if err != nil {
			return nil, err
		}
		for _, name := range gnames.PolicyNames {
			p, err := client.GetGroupPolicy(ctx, &iam.GetGroupPolicyInput{GroupName: g.GroupName, PolicyName: aws.String(name)})
			if err != nil {
				return nil, err
			}
			np, err := named("group "+aws.ToString(g.GroupName)+" inline policy "+name, aws.ToString(p.PolicyDocument))
			if err != nil {
				return nil, err
			}
			out = append(out, np)
		}
		gattached, err := client.ListAttachedGroupPolicies(ctx, &iam.ListAttachedGroupPoliciesInput{GroupName: g.GroupName})
		if err != nil {
			return nil, err
		}
		for _, a := range gattached.AttachedPolicies {
			np, err := managedPolicy(ctx, client, aws.ToString(a.PolicyArn))
			if err != nil {
				return nil, err
			}
			out = append(out, np)
		}
	}
	return out, nil
}

func managedPolicy(ctx context.Context, client *iam.Client, arn string) (iameval.NamedPolicy, error) {
	p, err := client.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)})
	if err != nil {
		return iameval.NamedPolicy{}, err
	}
	v, err := client.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: p.Policy.DefaultVersionId})
	if err != nil {
		return iameval.NamedPolicy{}, err
	}
	return named(arn, aws.ToString(v.PolicyVersion.Document))
}

func named(name, doc string) (iameval.NamedPolicy, error) {
	if strings.HasPrefix(doc, "%7B") || strings.HasPrefix(doc, "%7b") {
		if d, err := url.QueryUnescape(doc); err == nil {
			doc = d
		}
	}
	p, err := iameval.Parse(doc)
	if err != nil {
		return iameval.NamedPolicy{}, fmt.Errorf("%s: %w", name, err)
	}
	return iameval.NamedPolicy{Name: name, Policy: p}, nil
}

// arnAccount is the account field of an ARN.
func arnAccount(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 5 {
		return ""
	}
	return parts[4]
}

// arnResource is the resource field of an ARN.
func arnResource(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	return parts[5]
}
