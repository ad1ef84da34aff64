package iampolicy

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Inputs are the inputs of every template for one environment, as the modules pass them.
type Inputs struct {
	TrustPlan      *TrustCIInputs
	TrustDrift     *TrustCIInputs
	TrustApply     TrustCIInputs
	TrustDeploy    TrustCIInputs
	TrustCodeBuild TrustCodeBuildInputs
	ReadOnly       ReadOnlyInputs
	Apply          ApplyInputs
	Deploy         DeployInputs
	CodeBuild      CodeBuildInputs
	AccessEntries  EKSAccessEntriesInputs
	// ECRPull is nil when no other environment pulls this one's images.
	ECRPull *ECRPullInputs
	// SigningKey is the key policy of every image signing key (one per repository).
	SigningKey SigningKeyInputs
}

// SigningKeyAlias is the alias stacks/shared/ecr gives the image signing key of a repository in an
// environment (delivery.yaml's default signing.key is the same).
func SigningKeyAlias(repository, env string) string {
	return "alias/" + strings.ReplaceAll(repository, "/", "-") + "-" + env + "-signing"
}

// InputsFor derives every template's inputs from an environment's settings.
func InputsFor(s *Settings) Inputs {
	arn := func(p Purpose) string {
		return RoleARN(s.Partition, s.AccountID, RoleName(s.Project, s.Environment, p))
	}
	github := func(p Purpose) bool { return s.GitHubRepository != "" && slices.Contains(s.GitHubPurposes, p) }
	project := CodeBuildProjectName(s.Project, s.Environment)
	codebuild := arn(CodeBuild)

	trust := func(p Purpose, withCodeBuild bool) TrustCIInputs {
		in := TrustCIInputs{Subjects: []string{}}
		if github(p) {
			oidc := oidcProviderARN(s)
			in.OIDCProviderARN = &oidc
			in.Subjects = []string{Subject(s.GitHubRepository, GitHubEnvironment(s.Environment, p))}
		}
		if withCodeBuild {
			cb := codebuild
			in.CodeBuildRoleARN = &cb
		}
		return in
	}
	in := Inputs{
		TrustApply:     trust(Apply, true),
		TrustDeploy:    trust(Deploy, true),
		TrustCodeBuild: TrustCodeBuildInputs{Partition: s.Partition, Region: s.Region, AccountID: s.AccountID, ProjectName: project},
		ReadOnly: ReadOnlyInputs{Partition: s.Partition, Region: s.Region, AccountID: s.AccountID,
			StateBucket: s.StateBucket, StateKeyPrefix: s.Environment, ParameterPath: "/" + s.App + "/" + s.Environment + "/app"},
		Apply: ApplyInputs{Partition: s.Partition, Region: s.Region, AccountID: s.AccountID,
			StateBucket: s.StateBucket, StateKeyPrefix: s.Environment,
			NamePrefixes: []string{s.Project + "-" + s.Environment, s.App + "-" + s.Environment}},
		Deploy: DeployInputs{Partition: s.Partition, Region: s.Region, AccountID: s.AccountID,
			ECRRepositories: append([]string{}, s.ECRRepositories...), ECSCluster: s.ECSCluster, ECSServices: append([]string{}, s.ECSServices...),
			TaskRolePatterns: []string{s.App + "-" + s.Environment + "-ecs-*"}, EKSCluster: s.EKSCluster, PromotionSources: []Account{}},
		CodeBuild: CodeBuildInputs{Partition: s.Partition, Region: s.Region, AccountID: s.AccountID, ProjectName: project,
			ArtifactBucket: ArtifactBucketName(s.Project, s.Environment, s.AccountID, s.Region),
			AssumeRoleARNs: []string{arn(Apply), arn(Deploy)}, ConnectionARNs: []string{}},
		AccessEntries: EKSAccessEntriesInputs{ReadRoleARNs: map[string]string{}, Namespaces: append([]string{}, s.Namespaces...), DeployerGroup: DeployerGroup},
	}
	if s.SourceConnectionARN != "" {
		in.CodeBuild.ConnectionARNs = []string{s.SourceConnectionARN}
	}
	deploy := arn(Deploy)
	in.AccessEntries.DeployRoleARN = &deploy
	if github(Plan) {
		plan := trust(Plan, false)
		in.TrustPlan = &plan
		in.AccessEntries.ReadRoleARNs[string(Plan)] = arn(Plan)
	}
	if github(Drift) {
		drift := trust(Drift, false)
		in.TrustDrift = &drift
		in.AccessEntries.ReadRoleARNs[string(Drift)] = arn(Drift)
	}
	if src := s.PromotionSource; src != nil {
		in.Deploy.PromotionSources = []Account{{AccountID: src.AccountID, Region: src.Region}}
	}
	aliases := func(env string) []string {
		out := []string{}
		for _, r := range s.ECRRepositories {
			out = append(out, SigningKeyAlias(r, env))
		}
		return out
	}
	in.Deploy.SigningKeyAliases = aliases(s.Environment)
	in.Deploy.TrustedSigningKeys = []SigningKeyRef{{AccountID: s.AccountID, Region: s.Region, Aliases: aliases(s.Environment)}}
	if src := s.PromotionSource; src != nil {
		in.Deploy.TrustedSigningKeys = append(in.Deploy.TrustedSigningKeys, SigningKeyRef{AccountID: src.AccountID, Region: src.Region, Aliases: aliases(src.Environment)})
	}
	in.SigningKey = SigningKeyInputs{Partition: s.Partition, AccountID: s.AccountID, SignerRoleARNs: []string{deploy}, VerifierRoleARNs: []string{deploy}}
	for _, t := range s.PromotionTargets {
		in.SigningKey.VerifierRoleARNs = append(in.SigningKey.VerifierRoleARNs, RoleARN(s.Partition, t.AccountID, RoleName(s.Project, t.Environment, Deploy)))
	}
	if len(s.PromotionTargets) > 0 {
		pull := &ECRPullInputs{Partition: s.Partition, PrincipalARNs: []string{}}
		for _, t := range s.PromotionTargets {
			pull.PrincipalARNs = append(pull.PrincipalARNs, RoleARN(s.Partition, t.AccountID, RoleName(s.Project, t.Environment, Deploy)))
		}
		in.ECRPull = pull
	}
	return in
}

func oidcProviderARN(s *Settings) string {
	return "arn:" + s.Partition + ":iam::" + s.AccountID + ":oidc-provider/" + OIDCIssuer
}

// Declare renders an environment's identities from the templates under root.
func Declare(root string, s *Settings) (*Identities, error) {
	in := InputsFor(s)
	r := renderer{root: root, cache: map[string]*Template{}}
	ids := &Identities{
		Environment: s.Environment, AccountID: s.AccountID, Region: s.Region, Partition: s.Partition,
		GitHubRepository: s.GitHubRepository, CodeBuildProject: CodeBuildProjectName(s.Project, s.Environment),
		EKSCluster: s.EKSCluster, GitHubEnvironments: []GitHubEnv{}, StateBucket: s.StateBucket,
	}
	if s.GitHubRepository != "" {
		ids.OIDCProviderARN = oidcProviderARN(s)
	}
	role := func(p Purpose, trust Document, policies []Policy) Role {
		name := RoleName(s.Project, s.Environment, p)
		return Role{Purpose: p, Name: name, ARN: RoleARN(s.Partition, s.AccountID, name), Trust: trust, Policies: policies}
	}
	githubRole := func(p Purpose, t TrustCIInputs, policy Policy) error {
		trust, err := r.render(TemplateTrustCI, t)
		if err != nil {
			return err
		}
		ro := role(p, trust, []Policy{policy})
		ro.Subjects = append([]string{}, t.Subjects...)
		if len(t.Subjects) > 0 {
			ro.GitHubEnvironment = GitHubEnvironment(s.Environment, p)
		}
		if t.CodeBuildRoleARN != nil {
			ro.AssumedByRoles = []string{*t.CodeBuildRoleARN}
		}
		if p == Plan || p == Drift {
			ro.ManagedPolicyARNs = []string{ReadOnlyAccess(s.Partition)}
		}
		ids.Roles = append(ids.Roles, ro)
		return nil
	}

	readOnly, err := r.policy("read-only", TemplateReadOnly, in.ReadOnly)
	if err != nil {
		return nil, err
	}
	if in.TrustPlan != nil {
		if err := githubRole(Plan, *in.TrustPlan, readOnly); err != nil {
			return nil, err
		}
	}
	if in.TrustDrift != nil {
		if err := githubRole(Drift, *in.TrustDrift, readOnly); err != nil {
			return nil, err
		}
	}
	apply, err := r.policy("apply", TemplateApply, in.Apply)
	if err != nil {
		return nil, err
	}
	if err := githubRole(Apply, in.TrustApply, apply); err != nil {
		return nil, err
	}
	deploy, err := r.policy("deploy", TemplateDeploy, in.Deploy)
	if err != nil {
		return nil, err
	}
	if err := githubRole(Deploy, in.TrustDeploy, deploy); err != nil {
		return nil, err
	}
	cbTrust, err := r.render(TemplateTrustCodeBuild, in.TrustCodeBuild)
	if err != nil {
		return nil, err
	}
	cbPolicy, err := r.policy("codebuild", TemplateCodeBuild, in.CodeBuild)
	if err != nil {
		return nil, err
	}
	cb := role(CodeBuild, cbTrust, []Policy{cbPolicy})
	cb.Service = "codebuild.amazonaws.com"
	cb.SourceARN = "arn:" + s.Partition + ":codebuild:" + s.Region + ":" + s.AccountID + ":project/" + ids.CodeBuildProject
	ids.Roles = append(ids.Roles, cb)

	if s.GitHubRepository != "" {
		for _, ghEnv := range []string{s.Environment, GitHubEnvironment(s.Environment, Plan), GitHubEnvironment(s.Environment, Drift)} {
			if len(ids.RolesForSubject(Subject(s.GitHubRepository, ghEnv))) == 0 {
				continue
			}
			g := GitHubEnv{Name: ghEnv, Subject: Subject(s.GitHubRepository, ghEnv), Variables: map[string]string{RegionVariable: s.Region}, MainOnly: ghEnv != GitHubEnvironment(s.Environment, Plan)}
			for _, ro := range ids.Roles {
				if ro.GitHubEnvironment == ghEnv {
					g.Roles = append(g.Roles, ro.Name)
					g.Variables[RoleVariable(ro.Purpose)] = ro.ARN
				}
			}
			ids.GitHubEnvironments = append(ids.GitHubEnvironments, g)
		}
	}

	if in.ECRPull != nil {
		doc, err := r.render(TemplateECRPull, *in.ECRPull)
		if err != nil {
			return nil, err
		}
		for _, repo := range s.ECRRepositories {
			ids.RepositoryPolicies = append(ids.RepositoryPolicies, RepositoryPolicy{Repository: repo, Template: TemplateECRPull, Document: doc,
				PrincipalARNs: append([]string{}, in.ECRPull.PrincipalARNs...)})
		}
	}

	keyPolicy, err := r.render(TemplateSigningKey, in.SigningKey)
	if err != nil {
		return nil, err
	}
	for _, repo := range s.ECRRepositories {
		ids.SigningKeys = append(ids.SigningKeys, SigningKey{Repository: repo, Alias: SigningKeyAlias(repo, s.Environment),
			Template: TemplateSigningKey, Policy: keyPolicy})
	}

	entries, err := r.render(TemplateEKSAccessEntries, in.AccessEntries)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(entries), &ids.AccessEntries); err != nil {
		return nil, fmt.Errorf("%s does not render a list of access entries: %w", TemplateEKSAccessEntries, err)
	}
	return ids, nil
}

type renderer struct {
	root  string
	cache map[string]*Template
}

func (r renderer) render(path string, inputs any) (Document, error) {
	t, ok := r.cache[path]
	if !ok {
		var err error
		if t, err = ParseTemplate(r.root, path); err != nil {
			return "", err
		}
		r.cache[path] = t
	}
	vars, err := VarsOf(inputs)
	if err != nil {
		return "", err
	}
	out, err := t.Render(vars)
	if err != nil {
		return "", err
	}
	return Document(out), nil
}

func (r renderer) policy(name, path string, inputs any) (Policy, error) {
	doc, err := r.render(path, inputs)
	if err != nil {
		return Policy{}, err
	}
	return Policy{Name: name, Template: path, Document: doc}, nil
}
