package awsseed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/platformteam/delivery/internal/iampolicy"
)

// serviceRole is a role an AWS service assumes, with AWS managed policies.
type serviceRole struct {
	name, service, purpose string
	policies               []string
}

func serviceRoles(n *names) []serviceRole {
	return []serviceRole{
		{name: n.execRole, service: "ecs-tasks.amazonaws.com", purpose: "ECS pulls the image, writes logs, reads the app's secrets",
			policies: []string{"arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"}},
		{name: n.taskRole, service: "ecs-tasks.amazonaws.com", purpose: "the app's own AWS permissions"},
		{name: n.eksRole, service: "eks.amazonaws.com", purpose: "the EKS control plane",
			policies: []string{"arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"}},
	}
}

func serviceTrust(service string) string {
	b, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": []map[string]any{{
		"Effect": "Allow", "Principal": map[string]string{"Service": service}, "Action": "sts:AssumeRole"}}})
	return string(b)
}

func iamTags(tags map[string]string) []iamtypes.Tag {
	var out []iamtypes.Tag
	for k, v := range tags {
		out = append(out, iamtypes.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	sort.Slice(out, func(i, j int) bool { return *out[i].Key < *out[j].Key })
	return out
}

func seedServiceRoles(ctx context.Context, cfg aws.Config, n *names, done *Seeded) error {
	client := iam.NewFromConfig(cfg)
	for _, r := range serviceRoles(n) {
		created, err := ensureRole(ctx, client, r.name, serviceTrust(r.service), r.purpose, n.tags())
		if err != nil {
			return err
		}
		if created {
			done.add("iam-role", r.name)
		}
		if err := ensureManagedPolicies(ctx, client, r.name, r.policies, done); err != nil {
			return err
		}
	}
	return nil
}

// ensureRole creates the role, or sets its trust policy to trust when it differs; created reports a new role.
func ensureRole(ctx context.Context, client *iam.Client, name, trust, description string, tags map[string]string) (created bool, err error) {
	out, err := client.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
	var missing *iamtypes.NoSuchEntityException
	switch {
	case errors.As(err, &missing):
		if _, err := client.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust),
			Description: aws.String(description), Tags: iamTags(tags)}); err != nil {
			return false, fmt.Errorf("create role %s: %w", name, err)
		}
		return true, nil
	case err != nil:
		return false, fmt.Errorf("get role %s: %w", name, err)
	}
	if !sameDocument(aws.ToString(out.Role.AssumeRolePolicyDocument), trust) {
		if _, err := client.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String(name), PolicyDocument: aws.String(trust)}); err != nil {
			return false, fmt.Errorf("update the trust policy of %s: %w", name, err)
		}
	}
	return false, nil
}

func ensureManagedPolicies(ctx context.Context, client *iam.Client, role string, arns []string, done *Seeded) error {
	attached, err := client.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(role)})
	if err != nil {
		return fmt.Errorf("list the policies of %s: %w", role, err)
	}
	have := map[string]bool{}
	for _, p := range attached.AttachedPolicies {
		have[aws.ToString(p.PolicyArn)] = true
	}
	for _, arn := range arns {
		if have[arn] {
			continue
		}
		if _, err := client.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(role), PolicyArn: aws.String(arn)}); err != nil {
			return fmt.Errorf("attach %s to %s: %w (moto loads AWS managed policies only with MOTO_IAM_LOAD_MANAGED_POLICIES=true)", arn, role, err)
		}
		done.add("iam-role-policy-attachment", role+" "+arn)
	}
	return nil
}

// sameDocument compares two policy documents as JSON (IAM returns them URL-encoded and reformatted).
func sameDocument(a, b string) bool {
	decode := func(s string) any {
		if d, err := url.QueryUnescape(s); err == nil {
			s = d
		}
		var v any
		if json.Unmarshal([]byte(s), &v) != nil {
			return s
		}
		return v
	}
	return reflect.DeepEqual(decode(a), decode(b))
}

// seedIdentities creates the environment's OIDC provider and CI roles with the documents the Terraform
// templates render, and converges existing roles to them: trust, inline policies (extra ones removed)
// and managed policy attachments.
func seedIdentities(ctx context.Context, cfg aws.Config, ids *iampolicy.Identities, done *Seeded) error {
	if ids == nil {
		return nil
	}
	client := iam.NewFromConfig(cfg)
	if ids.OIDCProviderARN != "" {
		_, err := client.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(ids.OIDCProviderARN)})
		var missing *iamtypes.NoSuchEntityException
		switch {
		case errors.As(err, &missing):
			if _, err := client.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{
				Url: aws.String("https://" + iampolicy.OIDCIssuer), ClientIDList: []string{iampolicy.OIDCAudience},
				// The twin verifies tokens with the local issuer's keys; a thumbprint is still required by the API.
				ThumbprintList: []string{"6938fd4d98bab03faadb97b34396831e3780aea1"},
			}); err != nil {
				return fmt.Errorf("create the GitHub OIDC provider: %w", err)
			}
			done.add("iam-oidc-provider", ids.OIDCProviderARN)
		case err != nil:
			return fmt.Errorf("get the GitHub OIDC provider: %w", err)
		}
	}
	for _, r := range ids.Roles {
		if err := SeedRole(ctx, client, r, done); err != nil {
			return err
		}
	}
	return nil
}

// SeedRole creates or converges one declared role (tests seed a role from a modified copy of the
// templates with it).
func SeedRole(ctx context.Context, client *iam.Client, r iampolicy.Role, done *Seeded) error {
	created, err := ensureRole(ctx, client, r.Name, string(r.Trust), "CI role "+string(r.Purpose)+" (rendered from modules/iam/policies)",
		map[string]string{"ManagedBy": "sandbox-seed", "Purpose": string(r.Purpose)})
	if err != nil {
		return err
	}
	if created {
		done.add("iam-role", r.Name)
	}
	existing, err := client.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String(r.Name)})
	if err != nil {
		return fmt.Errorf("list the inline policies of %s: %w", r.Name, err)
	}
	declared := map[string]bool{}
	for _, p := range r.Policies {
		declared[p.Name] = true
		current, err := client.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(r.Name), PolicyName: aws.String(p.Name)})
		if err == nil && sameDocument(aws.ToString(current.PolicyDocument), string(p.Document)) {
			continue
		}
		if _, err := client.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(r.Name), PolicyName: aws.String(p.Name),
			PolicyDocument: aws.String(string(p.Document))}); err != nil {
			return fmt.Errorf("put policy %s on %s: %w", p.Name, r.Name, err)
		}
		done.add("iam-role-policy", r.Name+"/"+p.Name)
	}
	for _, name := range existing.PolicyNames {
		if declared[name] {
			continue
		}
		if _, err := client.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String(r.Name), PolicyName: aws.String(name)}); err != nil {
			return fmt.Errorf("delete undeclared policy %s of %s: %w", name, r.Name, err)
		}
		done.add("iam-role-policy-removed", r.Name+"/"+name)
	}
	return ensureManagedPolicies(ctx, client, r.Name, r.ManagedPolicyARNs, done)
}
