package environment

import (
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/platformteam/delivery/pkg/addrmap"
)

// TwinDir is where `sandbox up` writes one Twin declaration per twin environment
// (<state dir>/twin-endpoints/<environment>.json, state dir .sandbox by default). It holds nothing
// else, so the whole directory can be handed to a pipeline run (`dagger call --twin`): the twins'
// secrets (admin identities, the issuer key) live apart, in <state dir>/twin/.
const TwinDir = "twin-endpoints"

// Twin declares where the sandbox's twin of an environment's AWS account answers: the only
// sandbox-specific input of a pipeline run against a twin. Everything else (credentials through the
// SDK chain, ECR login through GetAuthorizationToken, EKS through DescribeCluster and an EKS token, the
// account guard) is the real path. Every address is on loopback: inside a container, the engine
// reaches them through service bindings that keep these host:port names.
type Twin struct {
	Environment string `json:"environment"`
	AccountID   string `json:"account_id"`
	Region      string `json:"region"`
	// AWS is the endpoint URL of every AWS API (AWS_ENDPOINT_URL), e.g. http://127.0.0.1:4566.
	AWS string `json:"aws"`
	// Registry is host:port of the account's registry, the host of the proxyEndpoint that
	// ecr:GetAuthorizationToken returns (plain HTTP on loopback), e.g. 127.0.0.1:5002.
	Registry string `json:"registry"`
	// ECRHost is the registry host the account has in AWS (<account>.dkr.ecr.<region>.amazonaws.com);
	// the twin serves it at Registry.
	ECRHost string `json:"ecr_host"`
	// OIDC is the GitHub-like token issuer: tokens name GitHub's issuer, the keys are the sandbox's.
	OIDC TwinOIDC `json:"oidc"`
	// CodeBuildCredentials is the container credentials URL of a CodeBuild build in this account
	// (AWS_CONTAINER_CREDENTIALS_FULL_URI, with ?role=<role ARN>&project=<project ARN>).
	CodeBuildCredentials string `json:"codebuild_credentials"`
	// Kubernetes is the account's EKS cluster as the twin serves it ("" fields until it does).
	Kubernetes TwinKubernetes `json:"kubernetes"`
}

// TwinOIDC is the twin's GitHub Actions token issuer.
type TwinOIDC struct {
	Issuer    string `json:"issuer"`    // https://token.actions.githubusercontent.com
	Discovery string `json:"discovery"` // http://127.0.0.1:4568/.well-known/openid-configuration
	Audience  string `json:"audience"`  // sts.amazonaws.com
}

// TwinKubernetes is the account's cluster: DescribeCluster reports the same endpoint and CA.
type TwinKubernetes struct {
	Cluster string `json:"cluster,omitempty"`
	// Endpoint is the API server's URL as DescribeCluster reports it, e.g. https://127.0.0.1:7444.
	Endpoint string `json:"endpoint,omitempty"`
}

// TwinPath is the declaration file of env under stateDir.
func TwinPath(stateDir, env string) string {
	return filepath.Join(stateDir, TwinDir, env+".json")
}

// LoadTwin reads the twin declaration of env, checking it names env and declares every endpoint.
func LoadTwin(stateDir, env string) (*Twin, error) {
	return ReadTwin(TwinPath(stateDir, env), env)
}

// ReadTwin reads the twin declaration file at path, which must be env's.
func ReadTwin(path, env string) (*Twin, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read the twin declaration of %s: %w (run `go run ./cmd/sandbox up`)", env, err)
	}
	t, err := ParseTwin(data, env)
	if err != nil {
		return nil, fmt.Errorf("twin declaration %s: %w", path, err)
	}
	return t, nil
}

// ParseTwin decodes a twin declaration (unknown fields refused) and checks it is env's and complete.
func ParseTwin(data []byte, env string) (*Twin, error) {
	var t Twin
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&t); err != nil {
		return nil, err
	}
	if err := t.check(env); err != nil {
		return nil, err
	}
	return &t, nil
}

func (t *Twin) check(env string) error {
	var problems []string
	if t.Environment != env {
		problems = append(problems, fmt.Sprintf("it declares environment %q", t.Environment))
	}
	for field, v := range map[string]string{"account_id": t.AccountID, "region": t.Region, "aws": t.AWS, "registry": t.Registry} {
		if v == "" {
			problems = append(problems, field+" is empty")
		}
	}
	if _, err := urlHostPort(t.AWS); t.AWS != "" && err != nil {
		problems = append(problems, "aws: "+err.Error())
	}
	if _, err := urlHostPort(t.Kubernetes.Endpoint); t.Kubernetes.Endpoint != "" && err != nil {
		problems = append(problems, "kubernetes.endpoint: "+err.Error())
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return nil
}

// Matches checks that the declaration is the twin of env (after overrides): same name, account and
// region. A declaration for another account never redirects a run.
func (t *Twin) Matches(env *Environment) error {
	if err := t.check(env.Name); err != nil {
		return fmt.Errorf("twin declaration of %s: %w", env.Name, err)
	}
	if t.AccountID != env.AccountID || t.Region != env.Region {
		return fmt.Errorf("the twin declaration of %s is for account %s in %s, but the environment is account %s in %s: run `go run ./cmd/sandbox up` again",
			env.Name, t.AccountID, t.Region, env.AccountID, env.Region)
	}
	return nil
}

// Addresses are the host:port addresses the twin answers on (AWS endpoint, registry, Kubernetes API
// when declared): what a container must be able to reach.
func (t *Twin) Addresses() []string {
	out := []string{}
	if hp, err := urlHostPort(t.AWS); err == nil {
		out = append(out, hp)
	}
	if t.Registry != "" {
		out = append(out, t.Registry)
	}
	if hp, err := urlHostPort(t.Kubernetes.Endpoint); err == nil {
		out = append(out, hp)
	}
	return out
}

// Routes send the account's ECR host (any port) to the twin's registry: a canonical image reference
// of this account (an artifact's, a promotion's source) reaches the twin without being rewritten.
func (t *Twin) Routes() addrmap.Map {
	if t.ECRHost == "" || t.Registry == "" {
		return nil
	}
	return addrmap.Map{t.ECRHost: t.Registry}
}

// urlHostPort is host:port of an http(s) URL, the scheme's port when it names none.
func urlHostPort(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%q is not an http(s) URL", raw)
	}
	if u.Port() != "" {
		return u.Host, nil
	}
	port := "80"
	if u.Scheme == "https" {
		port = "443"
	}
	return net.JoinHostPort(u.Hostname(), port), nil
}

// Write stores the declaration (0644: it holds addresses, no secrets).
func (t *Twin) Write(stateDir string) error {
	path := TwinPath(stateDir, t.Environment)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	data, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("write the twin declaration: %w", err)
	}
	return os.Rename(tmp, path)
}

// Dial is how a process that reaches the sandbox's services under other names (a container, where
// the engine binds each host service under an alias) dials a run against the twin: every address
// the twin declares goes to the alias bound for its port (bound: port → alias host), and so does the registry
// of every other declared twin whose port is bound, with that account's ECR host routed to it (a
// promotion reads the source account's canonical image reference). A port of the twin's own addresses
// without an alias is an error naming the service to pass.
func (t *Twin) Dial(others []*Twin, bound map[int]string) (addrmap.Map, error) {
	m := addrmap.Map{}
	var missing []string
	for _, addr := range t.Addresses() {
		to, ok := boundAlias(addr, bound)
		if !ok {
			missing = append(missing, "tcp://"+addr)
			continue
		}
		m[addr] = to
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("the twin of %s also answers on %s: pass it as a service (--twin-service %s, comma-separated with the others)",
			t.Environment, strings.Join(missing, ", "), strings.Join(missing, ","))
	}
	for k, v := range t.Routes() {
		m[k] = v
	}
	var sorted []*Twin
	for _, o := range others {
		if o != nil {
			sorted = append(sorted, o)
		}
	}
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Environment < sorted[j].Environment })
	for _, o := range sorted {
		if o.Environment == t.Environment {
			continue
		}
		to, ok := boundAlias(o.Registry, bound)
		if !ok {
			continue
		}
		m[o.Registry] = to
		for k, v := range o.Routes() {
			m[k] = v
		}
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return m, nil
}

func boundAlias(addr string, bound map[int]string) (string, bool) {
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", false
	}
	port, err := strconv.Atoi(p)
	if err != nil {
		return "", false
	}
	alias, ok := bound[port]
	if !ok {
		return "", false
	}
	return net.JoinHostPort(alias, p), true
}

// TwinRoute is how a process reaches the twin of an environment's account from where it runs: the
// twin's declaration, and the dial map from the twin's loopback addresses to where this process
// reaches them (in a container: the aliases of the bound host services). The Dagger module hands it
// to `stacks account --twin FILE` as JSON; nothing in it is secret.
type TwinRoute struct {
	Twin *Twin       `json:"twin"`
	Dial addrmap.Map `json:"dial,omitempty"`
}

// ReadTwinRoute reads a TwinRoute file (unknown fields refused) and checks it is the twin of env.
func ReadTwinRoute(path string, env *Environment) (TwinRoute, error) {
	var r TwinRoute
	raw, err := os.ReadFile(path)
	if err != nil {
		return r, fmt.Errorf("read the twin route: %w", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return r, fmt.Errorf("twin route %s: %w", path, err)
	}
	if r.Twin == nil {
		return r, fmt.Errorf("twin route %s declares no twin", path)
	}
	if err := r.Twin.Matches(env); err != nil {
		return r, fmt.Errorf("twin route %s: %w", path, err)
	}
	if err := r.Dial.Validate(); err != nil {
		return r, fmt.Errorf("twin route %s: %w", path, err)
	}
	return r, nil
}
