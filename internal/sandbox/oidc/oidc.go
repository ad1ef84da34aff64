// Package oidc is the twin's stand-in for GitHub Actions' OIDC token issuer: it mints GitHub-shaped
// ID tokens (RS256 JWTs with GitHub's claims) and serves the OpenID discovery document and JWKS on
// loopback, and verifies tokens as AWS STS does before AssumeRoleWithWebIdentity.
//
// Tokens name GitHub's issuer, https://token.actions.githubusercontent.com, so the trust policies the
// Terraform renders (conditions on token.actions.githubusercontent.com:aud and :sub, a Federated
// principal oidc-provider/token.actions.githubusercontent.com) apply unchanged. Only the key differs:
// the twin's verifier trusts the local issuer's JWKS for that issuer name (a declared mapping, never a
// fetch from the internet), so a token minted here is worthless against real AWS and a real GitHub
// token is refused by the twin.
package oidc

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// GitHubIssuer is the issuer GitHub Actions tokens carry, and the host of AWS's condition keys.
const GitHubIssuer = "https://token.actions.githubusercontent.com"

// STSAudience is the audience aws-actions/configure-aws-credentials requests.
const STSAudience = "sts.amazonaws.com"

// DefaultLifetime is how long a minted token is valid (GitHub's are valid for about 5 to 10 minutes).
const DefaultLifetime = 10 * time.Minute

// Claims are the claims of a GitHub Actions ID token.
type Claims struct {
	Issuer          string `json:"iss"`
	Subject         string `json:"sub"`
	Audience        string `json:"aud"`
	Repository      string `json:"repository,omitempty"`
	RepositoryOwner string `json:"repository_owner,omitempty"`
	Ref             string `json:"ref,omitempty"`
	RefType         string `json:"ref_type,omitempty"`
	SHA             string `json:"sha,omitempty"`
	Workflow        string `json:"workflow,omitempty"`
	WorkflowRef     string `json:"workflow_ref,omitempty"`
	JobWorkflowRef  string `json:"job_workflow_ref,omitempty"`
	EventName       string `json:"event_name,omitempty"`
	Environment     string `json:"environment,omitempty"`
	RunID           string `json:"run_id,omitempty"`
	RunAttempt      string `json:"run_attempt,omitempty"`
	Actor           string `json:"actor,omitempty"`
	BaseRef         string `json:"base_ref,omitempty"`
	HeadRef         string `json:"head_ref,omitempty"`
	IssuedAt        int64  `json:"iat"`
	NotBefore       int64  `json:"nbf"`
	Expiry          int64  `json:"exp"`
	JTI             string `json:"jti"`
}

// Job describes a workflow job the way GitHub derives its token from it.
type Job struct {
	Repository  string // owner/name
	Event       string // push, pull_request, workflow_dispatch, schedule, ...
	Ref         string // refs/heads/main, refs/pull/7/merge, refs/tags/v1
	Environment string // the job's `environment:`, "" when it has none
	SHA         string
	Workflow    string // the workflow's name
	WorkflowRef string // owner/name/.github/workflows/deploy.yml@refs/heads/main
	RunID       string
	Actor       string
}

// Subject is the `sub` GitHub gives the job (default subject claim template): the environment when the
// job declares one, else pull_request for pull request events, else the ref.
func (j Job) Subject() string {
	switch {
	case j.Environment != "":
		return fmt.Sprintf("repo:%s:environment:%s", j.Repository, j.Environment)
	case j.Event == "pull_request" || j.Event == "pull_request_target":
		return fmt.Sprintf("repo:%s:pull_request", j.Repository)
	default:
		return fmt.Sprintf("repo:%s:ref:%s", j.Repository, j.Ref)
	}
}

// Claims are the claims GitHub puts in the job's token for audience (times and jti are set by Mint).
func (j Job) Claims(audience string) Claims {
	owner, _, _ := strings.Cut(j.Repository, "/")
	refType := "branch"
	if strings.HasPrefix(j.Ref, "refs/tags/") {
		refType = "tag"
	}
	return Claims{
		Issuer: GitHubIssuer, Subject: j.Subject(), Audience: audience,
		Repository: j.Repository, RepositoryOwner: owner, Ref: j.Ref, RefType: refType, SHA: j.SHA,
		Workflow: j.Workflow, WorkflowRef: j.WorkflowRef, JobWorkflowRef: j.WorkflowRef,
		EventName: j.Event, Environment: j.Environment, RunID: j.RunID, RunAttempt: "1", Actor: j.Actor,
	}
}

// Issuer holds the signing key.
type Issuer struct {
	key *rsa.PrivateKey
	kid string
}

// LoadOrCreate reads the issuer's RSA key from path (PEM, PKCS#8), creating it (0600) when missing.
func LoadOrCreate(path string) (*Issuer, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		key, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return nil, fmt.Errorf("generate the OIDC issuer key: %w", err)
		}
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return nil, err
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("create %s: %w", filepath.Dir(path), err)
		}
		tmp := path + ".tmp"
		if err := os.WriteFile(tmp, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
			return nil, fmt.Errorf("write the OIDC issuer key: %w", err)
		}
		if err := os.Rename(tmp, path); err != nil {
			return nil, err
		}
		return New(key), nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the OIDC issuer key %s: %w", path, err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("OIDC issuer key %s is not PEM (delete it; `sandbox up` makes a new one)", path)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("OIDC issuer key %s: %w", path, err)
	}
	key, ok := parsed.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("OIDC issuer key %s is not an RSA key", path)
	}
	return New(key), nil
}

// New returns an issuer signing with key.
func New(key *rsa.PrivateKey) *Issuer {
	sum := sha256.Sum256(x509.MarshalPKCS1PublicKey(&key.PublicKey))
	return &Issuer{key: key, kid: hex.EncodeToString(sum[:8])}
}

// KeyID is the key's `kid`.
func (i *Issuer) KeyID() string { return i.kid }

// PublicKey is the verification key.
func (i *Issuer) PublicKey() *rsa.PublicKey { return &i.key.PublicKey }

// Mint signs c as an RS256 JWT. Empty iss, iat, nbf, exp and jti are filled (iss = GitHubIssuer,
// lifetime DefaultLifetime from now).
func (i *Issuer) Mint(c Claims, now time.Time) (string, error) {
	if c.Subject == "" || c.Audience == "" {
		return "", errors.New("a token needs a subject and an audience")
	}
	if c.Issuer == "" {
		c.Issuer = GitHubIssuer
	}
	if c.IssuedAt == 0 {
		c.IssuedAt = now.Unix()
	}
	if c.NotBefore == 0 {
		c.NotBefore = c.IssuedAt
	}
	if c.Expiry == 0 {
		c.Expiry = now.Add(DefaultLifetime).Unix()
	}
	if c.JTI == "" {
		b := make([]byte, 16)
		if _, err := rand.Read(b); err != nil {
			return "", err
		}
		c.JTI = hex.EncodeToString(b)
	}
	header, _ := json.Marshal(map[string]string{"alg": "RS256", "typ": "JWT", "kid": i.kid, "x5t": i.kid})
	payload, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	signingInput := b64(header) + "." + b64(payload)
	digest := sha256.Sum256([]byte(signingInput))
	sig, err := rsa.SignPKCS1v15(rand.Reader, i.key, crypto.SHA256, digest[:])
	if err != nil {
		return "", err
	}
	return signingInput + "." + b64(sig), nil
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// JWK is one key of a JWKS.
type JWK struct {
	Kty string `json:"kty"`
	Alg string `json:"alg"`
	Use string `json:"use"`
	Kid string `json:"kid"`
	N   string `json:"n"`
	E   string `json:"e"`
}

// JWKS is a JSON Web Key Set.
type JWKS struct {
	Keys []JWK `json:"keys"`
}

// JWKS is the issuer's key set.
func (i *Issuer) JWKS() JWKS {
	pub := i.key.PublicKey
	return JWKS{Keys: []JWK{{Kty: "RSA", Alg: "RS256", Use: "sig", Kid: i.kid,
		N: b64(pub.N.Bytes()), E: b64(big.NewInt(int64(pub.E)).Bytes())}}}
}

// PublicKeys decodes a key set into verification keys by kid.
func (s JWKS) PublicKeys() (map[string]*rsa.PublicKey, error) {
	out := map[string]*rsa.PublicKey{}
	for _, k := range s.Keys {
		if k.Kty != "RSA" {
			continue
		}
		n, err1 := base64.RawURLEncoding.DecodeString(k.N)
		e, err2 := base64.RawURLEncoding.DecodeString(k.E)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("JWK %s: modulus or exponent is not base64url", k.Kid)
		}
		out[k.Kid] = &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	}
	if len(out) == 0 {
		return nil, errors.New("the key set has no RSA key")
	}
	return out, nil
}
