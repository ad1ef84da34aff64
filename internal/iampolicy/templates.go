package iampolicy

// The policy templates, relative to the repository root. The Terraform modules load each one with
// templatefile() and the inputs below; this package renders the same files with the same inputs.
const (
	// Dir holds the CI identities' templates (modules/iam).
	Dir = "modules/iam/policies"

	// TemplateTrustCI is the trust policy of the GitHub Actions roles (plan, drift, apply, deploy).
	TemplateTrustCI = Dir + "/trust-ci.json.tftpl"
	// TemplateTrustCodeBuild is the trust policy of the CodeBuild project's service role.
	TemplateTrustCodeBuild = Dir + "/trust-codebuild.json.tftpl"
	// TemplateReadOnly is the inline policy of the plan and drift roles (besides ReadOnlyAccess).
	TemplateReadOnly = Dir + "/read-only.json.tftpl"
	// TemplateApply is the permission policy of the apply role.
	TemplateApply = Dir + "/apply.json.tftpl"
	// TemplateDeploy is the permission policy of the deploy role.
	TemplateDeploy = Dir + "/deploy.json.tftpl"
	// TemplateCodeBuild is the permission policy of the CodeBuild project's service role.
	TemplateCodeBuild = Dir + "/codebuild.json.tftpl"
	// TemplateEKSAccessEntries is the list of EKS access entries of the CI roles (stacks/platform/eks).
	TemplateEKSAccessEntries = Dir + "/eks-access-entries.json.tftpl"
	// TemplateECRPull is the repository policy letting other accounts' deploy roles pull (modules/ecr).
	TemplateECRPull = "modules/ecr/policies/pull.json.tftpl"
	// TemplateSigningKey is the key policy of an image signing key (modules/ecr).
	TemplateSigningKey = "modules/ecr/policies/signing-key.json.tftpl"
)

// Templates lists every template with the Terraform module that loads it and an example of its inputs
// (used by the checks and by the test that compares this package's rendering with terraform's).
func Templates() []TemplateUse {
	arn := "arn:aws:iam::222222222222:role/demo-staging-ci-codebuild"
	oidc := "arn:aws:iam::222222222222:oidc-provider/token.actions.githubusercontent.com"
	deploy := "arn:aws:iam::222222222222:role/demo-staging-ci-deploy"
	return []TemplateUse{
		{Path: TemplateTrustCI, Module: "modules/iam", Kind: TrustPolicy, Example: TrustCIInputs{OIDCProviderARN: &oidc, Subjects: []string{"repo:o/r:environment:staging"}, CodeBuildRoleARN: &arn}},
		{Path: TemplateTrustCodeBuild, Module: "modules/iam", Kind: TrustPolicy, Example: TrustCodeBuildInputs{Partition: "aws", Region: "ap-southeast-2", AccountID: "222222222222", ProjectName: "demo-staging-pipeline"}},
		{Path: TemplateReadOnly, Module: "modules/iam", Kind: IdentityPolicy, Example: ReadOnlyInputs{Partition: "aws", Region: "ap-southeast-2", AccountID: "222222222222", StateBucket: "tf-state", StateKeyPrefix: "staging", ParameterPath: "/demo-app/staging/app"}},
		{Path: TemplateApply, Module: "modules/iam", Kind: IdentityPolicy, Example: ApplyInputs{Partition: "aws", Region: "ap-southeast-2", AccountID: "222222222222", StateBucket: "tf-state", StateKeyPrefix: "staging", NamePrefixes: []string{"demo-staging", "demo-app-staging"}}},
		{Path: TemplateDeploy, Module: "modules/iam", Kind: IdentityPolicy, Example: DeployInputs{Partition: "aws", Region: "ap-southeast-2", AccountID: "333333333333", ECRRepositories: []string{"demo-app"}, ECSCluster: "demo-production", ECSServices: []string{"demo-app"}, TaskRolePatterns: []string{"demo-app-production-ecs-*"}, EKSCluster: "demo-production", PromotionSources: []Account{{AccountID: "222222222222", Region: "ap-southeast-2"}},
			SigningKeyAliases: []string{"alias/demo-app-production-signing"}, TrustedSigningKeys: []SigningKeyRef{{AccountID: "333333333333", Region: "ap-southeast-2", Aliases: []string{"alias/demo-app-production-signing"}}, {AccountID: "222222222222", Region: "ap-southeast-2", Aliases: []string{"alias/demo-app-staging-signing"}}}}},
		{Path: TemplateCodeBuild, Module: "modules/iam", Kind: IdentityPolicy, Example: CodeBuildInputs{Partition: "aws", Region: "ap-southeast-2", AccountID: "222222222222", ProjectName: "demo-staging-pipeline", ArtifactBucket: "demo-staging-artifacts", AssumeRoleARNs: []string{deploy}, ConnectionARNs: []string{"arn:aws:codeconnections:ap-southeast-2:222222222222:connection/x"}}},
		{Path: TemplateEKSAccessEntries, Module: "modules/iam", Kind: AccessEntries, Example: EKSAccessEntriesInputs{DeployRoleARN: &deploy, ReadRoleARNs: map[string]string{"plan": arn, "drift": arn}, Namespaces: []string{"demo"}, DeployerGroup: "ci-deployers"}},
		{Path: TemplateECRPull, Module: "modules/ecr", Kind: ResourcePolicy, Example: ECRPullInputs{Partition: "aws", PrincipalARNs: []string{"arn:aws:iam::333333333333:role/demo-production-ci-deploy"}}},
		{Path: TemplateSigningKey, Module: "modules/ecr", Kind: ResourcePolicy, Example: SigningKeyInputs{Partition: "aws", AccountID: "222222222222", SignerRoleARNs: []string{deploy},
			VerifierRoleARNs: []string{deploy, "arn:aws:iam::333333333333:role/demo-production-ci-deploy"}}},
	}
}

// TemplateUse is one template, the module that calls templatefile() on it, what it renders, and example
// inputs.
type TemplateUse struct {
	Path    string
	Module  string
	Kind    Kind
	Example any
}

// Kind is what a template renders.
type Kind string

// The kinds of templates.
const (
	// TrustPolicy is a role's assume-role policy (Principal, no Resource).
	TrustPolicy Kind = "trust"
	// IdentityPolicy is a role's permission policy (Resource, no Principal).
	IdentityPolicy Kind = "identity"
	// ResourcePolicy is a policy on a resource (Principal, the resource implied).
	ResourcePolicy Kind = "resource"
	// AccessEntries is a list of EKS access entries.
	AccessEntries Kind = "access-entries"
)

// TrustCIInputs are the inputs of TemplateTrustCI.
type TrustCIInputs struct {
	// OIDCProviderARN is the account's GitHub Actions OIDC provider (nil: no GitHub statement).
	OIDCProviderARN *string `cty:"oidc_provider_arn" json:"oidc_provider_arn"`
	// Subjects are the exact OIDC `sub` claims of the jobs that use the role.
	Subjects []string `cty:"subjects" json:"subjects"`
	// CodeBuildRoleARN is the CodeBuild project's service role, which chains into this role (nil: none).
	CodeBuildRoleARN *string `cty:"codebuild_role_arn" json:"codebuild_role_arn"`
}

// TrustCodeBuildInputs are the inputs of TemplateTrustCodeBuild.
type TrustCodeBuildInputs struct {
	Partition   string `cty:"partition" json:"partition"`
	Region      string `cty:"region" json:"region"`
	AccountID   string `cty:"account_id" json:"account_id"`
	ProjectName string `cty:"project_name" json:"project_name"`
}

// ReadOnlyInputs are the inputs of TemplateReadOnly.
type ReadOnlyInputs struct {
	Partition      string `cty:"partition" json:"partition"`
	Region         string `cty:"region" json:"region"`
	AccountID      string `cty:"account_id" json:"account_id"`
	StateBucket    string `cty:"state_bucket" json:"state_bucket"`
	StateKeyPrefix string `cty:"state_key_prefix" json:"state_key_prefix"`
	// ParameterPath is the app's configuration parameter path, without a trailing slash.
	ParameterPath string `cty:"parameter_path" json:"parameter_path"`
}

// ApplyInputs are the inputs of TemplateApply.
type ApplyInputs struct {
	Partition      string `cty:"partition" json:"partition"`
	Region         string `cty:"region" json:"region"`
	AccountID      string `cty:"account_id" json:"account_id"`
	StateBucket    string `cty:"state_bucket" json:"state_bucket"`
	StateKeyPrefix string `cty:"state_key_prefix" json:"state_key_prefix"`
	// NamePrefixes start the names of the roles and buckets the stacks create.
	NamePrefixes []string `cty:"name_prefixes" json:"name_prefixes"`
}

// Account is an account and region (a promotion source).
type Account struct {
	AccountID string `cty:"account_id" json:"account_id"`
	Region    string `cty:"region" json:"region"`
}

// DeployInputs are the inputs of TemplateDeploy.
type DeployInputs struct {
	Partition        string    `cty:"partition" json:"partition"`
	Region           string    `cty:"region" json:"region"`
	AccountID        string    `cty:"account_id" json:"account_id"`
	ECRRepositories  []string  `cty:"ecr_repositories" json:"ecr_repositories"`
	ECSCluster       string    `cty:"ecs_cluster" json:"ecs_cluster"`
	ECSServices      []string  `cty:"ecs_services" json:"ecs_services"`
	TaskRolePatterns []string  `cty:"task_role_patterns" json:"task_role_patterns"`
	EKSCluster       string    `cty:"eks_cluster" json:"eks_cluster"`
	PromotionSources []Account `cty:"promotion_sources" json:"promotion_sources"`
	// SigningKeyAliases are this environment's image signing keys (kms:Sign).
	SigningKeyAliases []string `cty:"signing_key_aliases" json:"signing_key_aliases"`
	// TrustedSigningKeys are the keys the deploy gate reads: this environment's and the promotion source's.
	TrustedSigningKeys []SigningKeyRef `cty:"trusted_signing_keys" json:"trusted_signing_keys"`
}

// SigningKeyRef names signing keys of an account by their aliases.
type SigningKeyRef struct {
	AccountID string   `cty:"account_id" json:"account_id"`
	Region    string   `cty:"region" json:"region"`
	Aliases   []string `cty:"aliases" json:"aliases"`
}

// CodeBuildInputs are the inputs of TemplateCodeBuild.
type CodeBuildInputs struct {
	Partition      string   `cty:"partition" json:"partition"`
	Region         string   `cty:"region" json:"region"`
	AccountID      string   `cty:"account_id" json:"account_id"`
	ProjectName    string   `cty:"project_name" json:"project_name"`
	ArtifactBucket string   `cty:"artifact_bucket" json:"artifact_bucket"`
	AssumeRoleARNs []string `cty:"assume_role_arns" json:"assume_role_arns"`
	// ConnectionARNs are the CodeConnections connections of the project's source (at most one).
	ConnectionARNs []string `cty:"connection_arns" json:"connection_arns"`
}

// EKSAccessEntriesInputs are the inputs of TemplateEKSAccessEntries.
type EKSAccessEntriesInputs struct {
	DeployRoleARN *string           `cty:"deploy_role_arn" json:"deploy_role_arn"`
	ReadRoleARNs  map[string]string `cty:"read_role_arns" json:"read_role_arns"`
	Namespaces    []string          `cty:"namespaces" json:"namespaces"`
	DeployerGroup string            `cty:"deployer_group" json:"deployer_group"`
}

// ECRPullInputs are the inputs of TemplateECRPull.
type ECRPullInputs struct {
	Partition     string   `cty:"partition" json:"partition"`
	PrincipalARNs []string `cty:"principal_arns" json:"principal_arns"`
}

// SigningKeyInputs are the inputs of TemplateSigningKey.
type SigningKeyInputs struct {
	Partition string `cty:"partition" json:"partition"`
	AccountID string `cty:"account_id" json:"account_id"`
	// SignerRoleARNs may sign (the environment's deploy role).
	SignerRoleARNs []string `cty:"signer_role_arns" json:"signer_role_arns"`
	// VerifierRoleARNs may read the public key and verify (deploy roles of this and the target environments).
	VerifierRoleARNs []string `cty:"verifier_role_arns" json:"verifier_role_arns"`
}
