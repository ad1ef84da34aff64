package iampolicy

import (
	"fmt"
	"slices"
	"sort"

	"github.com/zclconf/go-cty/cty"

	"github.com/platformteam/delivery/pkg/blueprint"
	"github.com/platformteam/delivery/pkg/environment"
)

// Settings are the values of one environment that its CI identities derive from: delivery.yaml, the
// environment's tfvars and backend.hcl. stacks/shared/iam, shared/ecr and platform/eks derive the same
// values from the same files (internal/blueprintcheck keeps the two derivations in step).
type Settings struct {
	Environment string
	AccountID   string
	Region      string
	Partition   string
	// Project is tfvars `project`: the prefix of every name (<project>-<env>-...).
	Project string
	// App is the app the roles deliver (image.repository = ECS service = Helm release = app_name).
	App string
	// GitHubRepository is tfvars `github_repository` ("": no GitHub Actions roles).
	GitHubRepository string
	// GitHubPurposes is tfvars `github_role_purposes` (default all four): the purposes whose roles this
	// environment's workflow jobs assume. Only those trust a GitHub subject; plan and drift roles exist
	// only when listed.
	GitHubPurposes []Purpose
	// StateBucket is backend.hcl `bucket`; the state keys of this environment start with <env>/.
	StateBucket     string
	ECRRepositories []string
	ECSCluster      string
	ECSServices     []string
	EKSCluster      string
	Namespaces      []string
	// PromotionTargets are tfvars `promotion_targets`: environments (and their accounts) whose deploy
	// roles may pull this environment's images.
	PromotionTargets []Peer
	// PromotionSource is tfvars `promotion_source`: the environment whose images this one promotes.
	PromotionSource *Peer
	// SourceConnectionARN is tfvars `codebuild_source_connection_arn` ("": none).
	SourceConnectionARN string
}

// Peer is another environment and its account.
type Peer struct {
	Environment string `json:"environment"`
	AccountID   string `json:"account_id"`
	Region      string `json:"region,omitempty"`
}

// LoadSettings reads environments/<env> under root. Disagreeing files are an error: the account id of
// tfvars must be delivery.yaml's.
func LoadSettings(root, env string) (*Settings, error) {
	e, err := environment.Load(root, env)
	if err != nil {
		return nil, err
	}
	ov, err := blueprint.LoadOverlay(root, env)
	if err != nil {
		return nil, err
	}
	if len(ov.Syntax) > 0 {
		return nil, fmt.Errorf("environment %s: %s", env, ov.Syntax[0])
	}
	s := &Settings{
		Environment:     env,
		AccountID:       e.AccountID,
		Region:          e.Region,
		Partition:       Partition(e.Region),
		App:             e.Image.Repository,
		ECRRepositories: []string{e.Image.Repository},
		ECSCluster:      e.ECS.Cluster,
		ECSServices:     []string{e.ECS.Service},
		EKSCluster:      e.EKS.Cluster,
		Namespaces:      []string{e.EKS.Namespace},
	}
	str := func(name string, required bool) (string, error) {
		tv, ok := ov.Value(name)
		if !ok || tv.Value.IsNull() {
			if required {
				return "", fmt.Errorf("environment %s sets no %s in its tfvars (%s)", env, name, ov.Dir)
			}
			return "", nil
		}
		if tv.Value.Type() != cty.String {
			return "", fmt.Errorf("%s:%d: %s must be a string", tv.File, tv.Line, name)
		}
		return tv.Value.AsString(), nil
	}
	if s.Project, err = str("project", true); err != nil {
		return nil, err
	}
	account, err := str("account_id", true)
	if err != nil {
		return nil, err
	}
	if account != e.AccountID {
		return nil, fmt.Errorf("environment %s: tfvars account_id %s differs from delivery.yaml account_id %s: make them equal", env, account, e.AccountID)
	}
	if s.GitHubRepository, err = str("github_repository", false); err != nil {
		return nil, err
	}
	if s.SourceConnectionARN, err = str("codebuild_source_connection_arn", false); err != nil {
		return nil, err
	}
	s.GitHubPurposes = append([]Purpose{}, GitHubPurposes...)
	if tv, ok := ov.Value("github_role_purposes"); ok && !tv.Value.IsNull() {
		t := tv.Value.Type()
		if !t.IsListType() && !t.IsTupleType() && !t.IsSetType() {
			return nil, fmt.Errorf("%s:%d: github_role_purposes must be a list", tv.File, tv.Line)
		}
		s.GitHubPurposes = nil
		for it := tv.Value.ElementIterator(); it.Next(); {
			_, v := it.Element()
			if v.Type() != cty.String || !slices.Contains(GitHubPurposes, Purpose(v.AsString())) {
				return nil, fmt.Errorf("%s:%d: github_role_purposes may list %v", tv.File, tv.Line, GitHubPurposes)
			}
			s.GitHubPurposes = append(s.GitHubPurposes, Purpose(v.AsString()))
		}
	}
	bucket, ok := ov.Backend["bucket"]
	if !ok || bucket.Type() != cty.String {
		return nil, fmt.Errorf("environment %s: %s sets no bucket", env, ov.BackendFile)
	}
	s.StateBucket = bucket.AsString()

	if tv, ok := ov.Value("promotion_targets"); ok && !tv.Value.IsNull() {
		t := tv.Value.Type()
		if !t.IsObjectType() && !t.IsMapType() {
			return nil, fmt.Errorf("%s:%d: promotion_targets must be a map of environment name to account id", tv.File, tv.Line)
		}
		for name, acct := range tv.Value.AsValueMap() {
			if acct.Type() != cty.String {
				return nil, fmt.Errorf("%s:%d: promotion_targets.%s must be an account id string", tv.File, tv.Line, name)
			}
			s.PromotionTargets = append(s.PromotionTargets, Peer{Environment: name, AccountID: acct.AsString()})
		}
		sort.Slice(s.PromotionTargets, func(i, j int) bool { return s.PromotionTargets[i].Environment < s.PromotionTargets[j].Environment })
	}
	if tv, ok := ov.Value("promotion_source"); ok && !tv.Value.IsNull() {
		p := Peer{}
		if !tv.Value.Type().IsObjectType() {
			return nil, fmt.Errorf("%s:%d: promotion_source must be { environment, account_id, region }", tv.File, tv.Line)
		}
		for field, dst := range map[string]*string{"environment": &p.Environment, "account_id": &p.AccountID, "region": &p.Region} {
			if !tv.Value.Type().HasAttribute(field) || tv.Value.GetAttr(field).Type() != cty.String {
				return nil, fmt.Errorf("%s:%d: promotion_source.%s must be a string", tv.File, tv.Line, field)
			}
			*dst = tv.Value.GetAttr(field).AsString()
		}
		s.PromotionSource = &p
	}
	return s, nil
}

// Load declares the CI identities of environments/<env> under root, rendering the templates under root:
// a test can render a modified copy of the repository (CopySources).
func Load(root, env string) (*Identities, error) {
	s, err := LoadSettings(root, env)
	if err != nil {
		return nil, err
	}
	return Declare(root, s)
}
