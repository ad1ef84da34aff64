package iampolicy

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Purpose is what a CI role is for. One role per purpose and environment.
type Purpose string

// The purposes, each a role named <project>-<env>-ci-<purpose>.
const (
	// Plan: read-only `terraform plan` of pull requests and of the pre-apply plan.
	Plan Purpose = "plan"
	// Drift: read-only scheduled drift detection.
	Drift Purpose = "drift"
	// Apply: `terraform apply` of this environment's stacks.
	Apply Purpose = "apply"
	// Deploy: push the image, update ECS, upgrade the Helm release on EKS, promote.
	Deploy Purpose = "deploy"
	// CodeBuild: the CodeBuild project's service role; it chains into apply and deploy.
	CodeBuild Purpose = "codebuild"
)

// GitHubPurposes are the purposes GitHub Actions jobs assume, in a fixed order.
var GitHubPurposes = []Purpose{Plan, Drift, Apply, Deploy}

// GitHubEnvironment is the GitHub environment whose jobs assume the role of this purpose:
// <env> for apply and deploy (protected: main only, reviewers in production), <env>-plan for plans
// (pull requests too, read-only) and <env>-drift for the schedule. The job's OIDC subject names it.
func GitHubEnvironment(env string, p Purpose) string {
	switch p {
	case Plan, Drift:
		return env + "-" + string(p)
	case Apply, Deploy:
		return env
	}
	return ""
}

// RoleVariable is the GitHub environment variable holding the ARN of the role of this purpose
// (role-to-assume: ${{ vars.AWS_<PURPOSE>_ROLE_ARN }}).
func RoleVariable(p Purpose) string { return "AWS_" + strings.ToUpper(string(p)) + "_ROLE_ARN" }

// RegionVariable is the GitHub environment variable holding the environment's region.
const RegionVariable = "AWS_REGION"

// OIDCIssuer is GitHub Actions' token issuer host; the account's OIDC provider is named after it.
const OIDCIssuer = "token.actions.githubusercontent.com"

// OIDCAudience is the audience configure-aws-credentials requests and the trust policies require.
const OIDCAudience = "sts.amazonaws.com"

// Subject is the OIDC `sub` claim GitHub gives a job that declares the GitHub environment ghEnv.
func Subject(repository, ghEnv string) string {
	return "repo:" + repository + ":environment:" + ghEnv
}

// RoleName is the name of the CI role of a purpose: <project>-<env>-ci-<purpose>.
func RoleName(project, env string, p Purpose) string {
	return project + "-" + env + "-ci-" + string(p)
}

// RoleARN is the ARN of a role by name.
func RoleARN(partition, account, name string) string {
	return "arn:" + partition + ":iam::" + account + ":role/" + name
}

// CodeBuildProjectName is the environment's CodeBuild project running buildspec.yml.
func CodeBuildProjectName(project, env string) string { return project + "-" + env + "-pipeline" }

// ArtifactBucketName is the pipeline artifact bucket of an environment (stacks/shared/iam names it).
func ArtifactBucketName(project, env, account, region string) string {
	return project + "-" + env + "-artifacts-" + account + "-" + region
}

// DeployerGroup is the Kubernetes group of the deploy role's access entry (modules/eks-app binds it).
const DeployerGroup = "ci-deployers"

// ReadOnlyAccess is the AWS managed policy attached to the plan and drift roles.
func ReadOnlyAccess(partition string) string {
	return "arn:" + partition + ":iam::aws:policy/ReadOnlyAccess"
}

// Partition is the AWS partition of a region.
func Partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}

// Identities are the CI identities of one environment's account, as stacks/shared/iam, shared/ecr and
// platform/eks declare them: what the sandbox's twin account seeds and enforces.
type Identities struct {
	Environment string `json:"environment"`
	AccountID   string `json:"account_id"`
	Region      string `json:"region"`
	Partition   string `json:"partition"`
	// GitHubRepository is owner/name of the repository whose jobs assume the roles ("": none).
	GitHubRepository string `json:"github_repository,omitempty"`
	// OIDCProviderARN is the account's GitHub Actions OIDC provider ("" without GitHub).
	OIDCProviderARN string `json:"oidc_provider_arn,omitempty"`
	// Roles in purpose order: plan, drift, apply, deploy, codebuild.
	Roles []Role `json:"roles"`
	// GitHubEnvironments are the GitHub environments of this environment's jobs and their variables.
	GitHubEnvironments []GitHubEnv `json:"github_environments"`
	// CodeBuildProject is the project whose builds the codebuild role serves.
	CodeBuildProject string `json:"codebuild_project"`
	// RepositoryPolicies are the ECR repository policies (promotion pulls by other accounts).
	RepositoryPolicies []RepositoryPolicy `json:"repository_policies,omitempty"`
	// SigningKeys are the image signing keys (one per repository) with their key policies.
	SigningKeys []SigningKey `json:"signing_keys"`
	// AccessEntries map roles to Kubernetes permissions on the environment's EKS cluster.
	AccessEntries []AccessEntry `json:"access_entries"`
	EKSCluster    string        `json:"eks_cluster"`
	// StateBucket holds the Terraform state; this environment's keys start with <environment>/.
	StateBucket string `json:"state_bucket"`
}

// Role is one IAM role with its documents, rendered from the templates.
type Role struct {
	Purpose Purpose `json:"purpose"`
	Name    string  `json:"name"`
	ARN     string  `json:"arn"`
	// Trust is the assume-role policy document.
	Trust Document `json:"trust"`
	// Policies are the inline permission policies.
	Policies []Policy `json:"policies"`
	// ManagedPolicyARNs are attached AWS managed policies.
	ManagedPolicyARNs []string `json:"managed_policy_arns,omitempty"`
	// Subjects are the OIDC `sub` claims the trust accepts (empty for codebuild).
	Subjects []string `json:"subjects,omitempty"`
	// GitHubEnvironment is the GitHub environment whose jobs assume the role ("" for codebuild).
	GitHubEnvironment string `json:"github_environment,omitempty"`
	// AssumedByRoles are roles allowed to chain into this one (the CodeBuild role).
	AssumedByRoles []string `json:"assumed_by_roles,omitempty"`
	// Service is the AWS service principal trusted (codebuild.amazonaws.com), with SourceARN pinned.
	Service   string `json:"service,omitempty"`
	SourceARN string `json:"source_arn,omitempty"`
}

// Policy is an inline policy: its name on the role, its template and the rendered document.
type Policy struct {
	Name     string   `json:"name"`
	Template string   `json:"template"`
	Document Document `json:"document"`
}

// Document is a rendered policy document: the exact text templatefile() returns.
type Document string

// Statements decodes the document's statements.
func (d Document) Statements() ([]Statement, error) {
	var doc struct {
		Version   string
		Statement []Statement
	}
	if err := json.Unmarshal([]byte(d), &doc); err != nil {
		return nil, fmt.Errorf("policy document is not IAM JSON: %w", err)
	}
	return doc.Statement, nil
}

// Statement is one IAM policy statement. Action, Resource and their Not forms accept a string or a list.
type Statement struct {
	Sid         string                           `json:"Sid,omitempty"`
	Effect      string                           `json:"Effect"`
	Principal   map[string]StringList            `json:"Principal,omitempty"`
	Action      StringList                       `json:"Action,omitempty"`
	NotAction   StringList                       `json:"NotAction,omitempty"`
	Resource    StringList                       `json:"Resource,omitempty"`
	NotResource StringList                       `json:"NotResource,omitempty"`
	Condition   map[string]map[string]StringList `json:"Condition,omitempty"`
}

// StringList is an IAM value that is a string or a list of strings.
type StringList []string

// UnmarshalJSON accepts "x" or ["x", ...].
func (s *StringList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*s = StringList{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("want a string or a list of strings: %s", b)
	}
	*s = many
	return nil
}

// GitHubEnv is a GitHub environment of this environment: its jobs' subject, the roles that trust it
// and the variables to set on it (repository settings → Environments → <name> → Variables).
type GitHubEnv struct {
	Name      string            `json:"name"`
	Subject   string            `json:"subject"`
	Roles     []string          `json:"roles"`
	Variables map[string]string `json:"variables"`
	// Protected environments accept deployments from main only (apply, deploy, drift).
	MainOnly bool `json:"main_only"`
}

// RepositoryPolicy is an ECR repository policy.
type RepositoryPolicy struct {
	Repository string   `json:"repository"`
	Template   string   `json:"template"`
	Document   Document `json:"document"`
	// PrincipalARNs are the other accounts' roles allowed to pull.
	PrincipalARNs []string `json:"principal_arns"`
}

// SigningKey is an image signing KMS key (SIGN_VERIFY, ECC_NIST_P256) of a repository.
type SigningKey struct {
	Repository string `json:"repository"`
	// Alias is the key's alias name (alias/<repository>-<environment>-signing).
	Alias    string `json:"alias"`
	Template string `json:"template"`
	// Policy is the key policy.
	Policy Document `json:"policy"`
}

// SigningKeySpec and SigningKeyUsage are what every image signing key is created with.
const (
	SigningKeySpec  = "ECC_NIST_P256"
	SigningKeyUsage = "SIGN_VERIFY"
)

// AccessEntry is an EKS access entry with its access policy association.
type AccessEntry struct {
	Name             string   `json:"name"`
	PrincipalARN     string   `json:"principal_arn"`
	Policy           string   `json:"policy"`
	Scope            string   `json:"scope"`
	Namespaces       []string `json:"namespaces"`
	KubernetesGroups []string `json:"kubernetes_groups"`
}

// Role returns the role of a purpose.
func (ids *Identities) Role(p Purpose) (*Role, bool) {
	for i := range ids.Roles {
		if ids.Roles[i].Purpose == p {
			return &ids.Roles[i], true
		}
	}
	return nil, false
}

// RolesForSubject lists the roles whose trust accepts the OIDC subject, in purpose order.
func (ids *Identities) RolesForSubject(sub string) []Role {
	var out []Role
	for _, r := range ids.Roles {
		for _, s := range r.Subjects {
			if s == sub {
				out = append(out, r)
				break
			}
		}
	}
	return out
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
