package ekstwin

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// ClusterRef names one EKS cluster: clusters are per account and region.
type ClusterRef struct {
	Partition string `json:"partition"`
	Account   string `json:"account"`
	Region    string `json:"region"`
	Name      string `json:"name"`
}

func (c ClusterRef) String() string { return c.Name + " (account " + c.Account + ", " + c.Region + ")" }

// AccessScope is where an associated policy applies.
type AccessScope struct {
	Type       string   `json:"type"`
	Namespaces []string `json:"namespaces,omitempty"`
}

// AssociatedPolicy is one access policy associated with an access entry.
type AssociatedPolicy struct {
	PolicyARN    string      `json:"policyArn"`
	Scope        AccessScope `json:"accessScope"`
	AssociatedAt time.Time   `json:"associatedAt"`
	ModifiedAt   time.Time   `json:"modifiedAt"`
}

// AccessEntry is an EKS access entry of the STANDARD type.
type AccessEntry struct {
	Cluster          ClusterRef         `json:"cluster"`
	PrincipalARN     string             `json:"principalArn"`
	ARN              string             `json:"accessEntryArn"`
	KubernetesGroups []string           `json:"kubernetesGroups,omitempty"`
	Username         string             `json:"username"` // as given; empty: EKS's default for the principal
	Type             string             `json:"type"`
	Tags             map[string]string  `json:"tags,omitempty"`
	CreatedAt        time.Time          `json:"createdAt"`
	ModifiedAt       time.Time          `json:"modifiedAt"`
	Policies         []AssociatedPolicy `json:"associatedAccessPolicies,omitempty"`
}

// EffectiveUsername is the Kubernetes username EKS reports for the entry: the template given at
// creation, or the default (the user ARN; for a role, its session ARN with {{SessionName}}).
func (e AccessEntry) EffectiveUsername() string {
	if e.Username != "" {
		return e.Username
	}
	p, err := ParsePrincipal(e.PrincipalARN)
	if err == nil && p.Kind == KindRole {
		return fmt.Sprintf("arn:%s:sts::%s:assumed-role/%s/{{SessionName}}", p.Partition, p.Account, p.Name)
	}
	return e.PrincipalARN
}

// Errors of the access entries store; the API maps them to EKS's exceptions.
var (
	ErrNotFound      = errors.New("not found")           // ResourceNotFoundException
	ErrInUse         = errors.New("already exists")      // ResourceInUseException
	ErrInvalid       = errors.New("invalid parameter")   // InvalidParameterException
	ErrNoAccessEntry = errors.New("no EKS access entry") // the token authenticates nobody
)

// AccessEntries holds the access entries of the twin clusters, kept in a JSON file so the AWS front
// keeps them across a restart. Safe for concurrent use.
type AccessEntries struct {
	path string // "" keeps them in memory only
	now  func() time.Time

	mu      sync.Mutex
	entries []AccessEntry
}

// OpenAccessEntries loads the entries kept at path (none when the file does not exist yet).
func OpenAccessEntries(path string) (*AccessEntries, error) {
	s := &AccessEntries{path: path, now: time.Now}
	if path == "" {
		return s, nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read EKS access entries: %w", err)
	}
	if err := json.Unmarshal(data, &s.entries); err != nil {
		return nil, fmt.Errorf("EKS access entries file %s is not valid JSON (delete it and run `sandbox up` to seed again): %w", path, err)
	}
	return s, nil
}

// save writes the entries; callers hold mu.
func (s *AccessEntries) save() error {
	if s.path == "" {
		return nil
	}
	data, err := json.MarshalIndent(s.entries, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(s.path), ".access-entries-")
	if err != nil {
		return fmt.Errorf("save EKS access entries: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("save EKS access entries: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save EKS access entries: %w", err)
	}
	return os.Rename(tmp.Name(), s.path)
}

// find returns the index of the entry of cluster naming the same IAM identity as principal; callers hold mu.
func (s *AccessEntries) find(cluster ClusterRef, principal Principal) int {
	return slices.IndexFunc(s.entries, func(e AccessEntry) bool {
		if e.Cluster != cluster {
			return false
		}
		p, err := ParsePrincipal(e.PrincipalARN)
		return err == nil && p.Same(principal)
	})
}

// entryPrincipal parses the principal ARN of an access entry request: an IAM role or user of the
// cluster's account.
func entryPrincipal(cluster ClusterRef, arn string) (Principal, error) {
	p, err := ParsePrincipal(arn)
	if err != nil {
		return p, fmt.Errorf("%w: principalArn: %v", ErrInvalid, err)
	}
	if p.Kind == KindRoot || p.Session != "" {
		return p, fmt.Errorf("%w: principalArn %s must be an IAM role or IAM user ARN", ErrInvalid, arn)
	}
	if p.Partition != cluster.Partition {
		return p, fmt.Errorf("%w: principalArn %s is in partition %s, the cluster in %s", ErrInvalid, arn, p.Partition, cluster.Partition)
	}
	return p, nil
}

var reservedPrefixes = []string{"system:", "eks:", "aws:", "amazon:", "iam:"}

func validateIdentity(groups []string, username string) error {
	for _, g := range groups {
		if g == "" || strings.HasPrefix(g, "system:") || strings.HasPrefix(g, PolicyGroupPrefix) {
			return fmt.Errorf("%w: kubernetesGroups: %q is empty or starts with a reserved prefix (system:, %s)", ErrInvalid, g, PolicyGroupPrefix)
		}
	}
	for _, prefix := range reservedPrefixes {
		if strings.HasPrefix(username, prefix) {
			return fmt.Errorf("%w: username %q must not start with %s", ErrInvalid, username, prefix)
		}
	}
	return nil
}

// Create adds an access entry of type STANDARD.
func (s *AccessEntries) Create(e AccessEntry) (AccessEntry, error) {
	p, err := entryPrincipal(e.Cluster, e.PrincipalARN)
	if err != nil {
		return AccessEntry{}, err
	}
	if e.Type == "" {
		e.Type = "STANDARD"
	}
	if e.Type != "STANDARD" {
		return AccessEntry{}, fmt.Errorf("%w: type %s: the sandbox twin models STANDARD access entries only", ErrInvalid, e.Type)
	}
	if err := validateIdentity(e.KubernetesGroups, e.Username); err != nil {
		return AccessEntry{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.find(e.Cluster, p) >= 0 {
		return AccessEntry{}, fmt.Errorf("%w: the cluster %s already has an access entry for %s", ErrInUse, e.Cluster.Name, e.PrincipalARN)
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	e.CreatedAt, e.ModifiedAt, e.Policies = now, now, nil
	e.ARN = fmt.Sprintf("arn:%s:eks:%s:%s:access-entry/%s/%s/%s/%s/%s", e.Cluster.Partition, e.Cluster.Region, e.Cluster.Account,
		e.Cluster.Name, p.Kind, p.Account, p.Name, randomID())
	e.KubernetesGroups = slices.Clone(e.KubernetesGroups)
	s.entries = append(s.entries, e)
	if err := s.save(); err != nil {
		s.entries = s.entries[:len(s.entries)-1]
		return AccessEntry{}, err
	}
	return e, nil
}

// lookup finds an entry by the principal ARN of a request; callers hold mu.
func (s *AccessEntries) lookup(cluster ClusterRef, principalARN string) (int, error) {
	p, err := entryPrincipal(cluster, principalARN)
	if err != nil {
		return -1, err
	}
	i := s.find(cluster, p)
	if i < 0 {
		return -1, fmt.Errorf("%w: the cluster %s has no access entry for %s", ErrNotFound, cluster.Name, principalARN)
	}
	return i, nil
}

// Describe returns one access entry.
func (s *AccessEntries) Describe(cluster ClusterRef, principalARN string) (AccessEntry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i, err := s.lookup(cluster, principalARN)
	if err != nil {
		return AccessEntry{}, err
	}
	return s.entries[i], nil
}

// Update replaces the Kubernetes groups and username of an entry (nil groups keep them).
func (s *AccessEntries) Update(cluster ClusterRef, principalARN string, groups []string, username string) (AccessEntry, error) {
	if err := validateIdentity(groups, username); err != nil {
		return AccessEntry{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	i, err := s.lookup(cluster, principalARN)
	if err != nil {
		return AccessEntry{}, err
	}
	before := s.entries[i]
	if groups != nil {
		s.entries[i].KubernetesGroups = slices.Clone(groups)
	}
	if username != "" {
		s.entries[i].Username = username
	}
	s.entries[i].ModifiedAt = s.now().UTC().Truncate(time.Millisecond)
	if err := s.save(); err != nil {
		s.entries[i] = before
		return AccessEntry{}, err
	}
	return s.entries[i], nil
}

// Delete removes an entry and its policy associations.
func (s *AccessEntries) Delete(cluster ClusterRef, principalARN string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	i, err := s.lookup(cluster, principalARN)
	if err != nil {
		return err
	}
	before := slices.Clone(s.entries)
	s.entries = slices.Delete(s.entries, i, i+1)
	if err := s.save(); err != nil {
		s.entries = before
		return err
	}
	return nil
}

// List returns the principal ARNs of a cluster's entries, sorted; with policyARN only those that
// have that policy associated.
func (s *AccessEntries) List(cluster ClusterRef, policyARN string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, e := range s.entries {
		if e.Cluster != cluster {
			continue
		}
		if policyARN != "" && !slices.ContainsFunc(e.Policies, func(p AssociatedPolicy) bool { return p.PolicyARN == policyARN }) {
			continue
		}
		out = append(out, e.PrincipalARN)
	}
	sort.Strings(out)
	return out
}

// Associate associates an access policy with an entry, or replaces the scope of an existing
// association of the same policy (as EKS does).
func (s *AccessEntries) Associate(cluster ClusterRef, principalARN, policyARN string, scope AccessScope) (AssociatedPolicy, error) {
	policy, ok := policyByARN(policyARN)
	if !ok {
		return AssociatedPolicy{}, fmt.Errorf("%w: policyArn %s is not an EKS access policy the sandbox twin knows (%s)", ErrInvalid, policyARN, policyNames())
	}
	if err := validateScope(scope); err != nil {
		return AssociatedPolicy{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if policyARN != policy.ARN(cluster.Partition) {
		return AssociatedPolicy{}, fmt.Errorf("%w: policyArn %s is not in the cluster's partition %s", ErrInvalid, policyARN, cluster.Partition)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	i, err := s.lookup(cluster, principalARN)
	if err != nil {
		return AssociatedPolicy{}, err
	}
	before := slices.Clone(s.entries[i].Policies)
	now := s.now().UTC().Truncate(time.Millisecond)
	scope.Namespaces = slices.Clone(scope.Namespaces)
	assoc := AssociatedPolicy{PolicyARN: policyARN, Scope: scope, AssociatedAt: now, ModifiedAt: now}
	if j := slices.IndexFunc(s.entries[i].Policies, func(p AssociatedPolicy) bool { return p.PolicyARN == policyARN }); j >= 0 {
		assoc.AssociatedAt = s.entries[i].Policies[j].AssociatedAt
		s.entries[i].Policies[j] = assoc
	} else {
		s.entries[i].Policies = append(s.entries[i].Policies, assoc)
	}
	if err := s.save(); err != nil {
		s.entries[i].Policies = before
		return AssociatedPolicy{}, err
	}
	return assoc, nil
}

// Disassociate removes an access policy from an entry.
func (s *AccessEntries) Disassociate(cluster ClusterRef, principalARN, policyARN string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	i, err := s.lookup(cluster, principalARN)
	if err != nil {
		return err
	}
	j := slices.IndexFunc(s.entries[i].Policies, func(p AssociatedPolicy) bool { return p.PolicyARN == policyARN })
	if j < 0 {
		return fmt.Errorf("%w: the access entry of %s in %s has no association with %s", ErrNotFound, principalARN, cluster.Name, policyARN)
	}
	before := slices.Clone(s.entries[i].Policies)
	s.entries[i].Policies = slices.Delete(s.entries[i].Policies, j, j+1)
	if err := s.save(); err != nil {
		s.entries[i].Policies = before
		return err
	}
	return nil
}

// ListAssociated returns the policies associated with an entry.
func (s *AccessEntries) ListAssociated(cluster ClusterRef, principalARN string) ([]AssociatedPolicy, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i, err := s.lookup(cluster, principalARN)
	if err != nil {
		return nil, err
	}
	return slices.Clone(s.entries[i].Policies), nil
}

// Identity is what the cluster's authenticator reports for an authenticated caller.
type Identity struct {
	Username string
	UID      string
	Groups   []string
	Extra    map[string][]string
}

// Identify maps a caller to a Kubernetes identity through the cluster's access entries: the entry's
// username and groups, plus one group per associated access policy scope. A principal without an
// entry authenticates nobody (ErrNoAccessEntry).
func (s *AccessEntries) Identify(cluster ClusterRef, caller Caller) (Identity, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := s.find(cluster, caller.Principal)
	if i < 0 {
		return Identity{}, fmt.Errorf("%w: %s (signed as %s) has no access entry in the EKS cluster %s: create one "+
			"(eks:CreateAccessEntry, or access_entries in stacks/platform/eks) and associate an access policy",
			ErrNoAccessEntry, caller.Principal.IAMARN(), caller.Principal.CallerARN, cluster)
	}
	e := s.entries[i]
	groups := slices.Clone(e.KubernetesGroups)
	for _, assoc := range e.Policies {
		policy, ok := policyByARN(assoc.PolicyARN)
		if !ok {
			continue
		}
		if assoc.Scope.Type == ScopeCluster {
			groups = append(groups, PolicyGroup(policy, ""))
			continue
		}
		for _, ns := range assoc.Scope.Namespaces {
			groups = append(groups, PolicyGroup(policy, ns))
		}
	}
	p := caller.Principal
	session := p.Session
	return Identity{
		Username: expandUsername(e.EffectiveUsername(), p),
		UID:      "aws-iam-authenticator:" + p.Account + ":" + p.Name,
		Groups:   groups,
		Extra: map[string][]string{
			"arn":          {p.CallerARN},
			"canonicalArn": {p.IAMARN()},
			"sessionName":  {session},
			"accessKeyId":  {caller.AccessKeyID},
		},
	}, nil
}

// expandUsername fills the username template variables EKS documents.
func expandUsername(template string, p Principal) string {
	return strings.NewReplacer(
		"{{SessionName}}", strings.ReplaceAll(p.Session, "@", "-"),
		"{{SessionNameRaw}}", p.Session,
		"{{AccountID}}", p.Account,
	).Replace(template)
}

func policyNames() string {
	var names []string
	for _, p := range AccessPolicies {
		names = append(names, p.Name)
	}
	return strings.Join(names, ", ")
}

func randomID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
