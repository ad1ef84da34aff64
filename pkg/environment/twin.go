package environment

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// TwinDir is where `sandbox up` writes one Twin declaration per twin environment
// (<state dir>/twin/<environment>.json, state dir .sandbox by default).
const TwinDir = "twin"

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
	Cluster  string `json:"cluster,omitempty"`
	Endpoint string `json:"endpoint,omitempty"`
}

// TwinPath is the declaration file of env under stateDir.
func TwinPath(stateDir, env string) string {
	return filepath.Join(stateDir, TwinDir, env+".json")
}

// LoadTwin reads the twin declaration of env, checking it names env and declares every endpoint.
func LoadTwin(stateDir, env string) (*Twin, error) {
	path := TwinPath(stateDir, env)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read the twin declaration of %s: %w (run `go run ./cmd/sandbox up`)", env, err)
	}
	var t Twin
	if err := json.Unmarshal(data, &t); err != nil {
		return nil, fmt.Errorf("twin declaration %s: %w", path, err)
	}
	var problems []string
	if t.Environment != env {
		problems = append(problems, fmt.Sprintf("it declares environment %q", t.Environment))
	}
	for field, v := range map[string]string{"account_id": t.AccountID, "region": t.Region, "aws": t.AWS, "registry": t.Registry} {
		if v == "" {
			problems = append(problems, field+" is empty")
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("twin declaration %s: %s", path, strings.Join(problems, "; "))
	}
	return &t, nil
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
