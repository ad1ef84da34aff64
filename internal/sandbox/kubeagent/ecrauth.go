package kubeagent

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/google/go-containerregistry/pkg/authn"
)

// ECRTokenAPI is the part of ECR the credential provider calls.
type ECRTokenAPI interface {
	GetAuthorizationToken(ctx context.Context, in *ecr.GetAuthorizationTokenInput, optFns ...func(*ecr.Options)) (*ecr.GetAuthorizationTokenOutput, error)
}

// ECRKeychain logs in to an account's registry as the kubelet's ECR credential provider does on an
// EKS node: ecr:GetAuthorizationToken with the node's credentials, then Basic auth (user AWS) on the
// registry its proxyEndpoint names, until the token expires. Other registries are pulled anonymously.
type ECRKeychain struct {
	API ECRTokenAPI
	Now func() time.Time // nil: time.Now

	mu      sync.Mutex
	host    string
	auth    authn.AuthConfig
	expires time.Time
}

// Resolve implements authn.Keychain.
func (k *ECRKeychain) Resolve(target authn.Resource) (authn.Authenticator, error) {
	now := time.Now
	if k.Now != nil {
		now = k.Now
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.host == "" || now().Add(time.Minute).After(k.expires) {
		if err := k.refresh(now()); err != nil {
			return nil, err
		}
	}
	if target.RegistryStr() != k.host {
		return authn.Anonymous, nil
	}
	return authn.FromConfig(k.auth), nil
}

// Forget drops the cached token, so the next pull logs in again. A pull calls it when the registry
// refuses the token (401) before the token's own expiry: the registry's keys changed (the sandbox was
// restarted), as kubelet's credential provider logs in again on a refused pull.
func (k *ECRKeychain) Forget() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.host, k.auth, k.expires = "", authn.AuthConfig{}, time.Time{}
}

func (k *ECRKeychain) refresh(now time.Time) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := k.API.GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
	if err != nil {
		return fmt.Errorf("ecr:GetAuthorizationToken for the node's image pulls: %w", err)
	}
	if len(out.AuthorizationData) == 0 {
		return fmt.Errorf("ecr:GetAuthorizationToken returned no authorization data")
	}
	d := out.AuthorizationData[0]
	raw, err := base64.StdEncoding.DecodeString(aws.ToString(d.AuthorizationToken))
	if err != nil {
		return fmt.Errorf("ECR authorization token is not base64: %w", err)
	}
	user, pass, ok := strings.Cut(string(raw), ":")
	if !ok {
		return fmt.Errorf("ECR authorization token is not user:password")
	}
	endpoint := aws.ToString(d.ProxyEndpoint)
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		return fmt.Errorf("ECR proxyEndpoint %q is not a URL", endpoint)
	}
	k.host, k.auth = u.Host, authn.AuthConfig{Username: user, Password: pass}
	k.expires = now.Add(12 * time.Hour)
	if d.ExpiresAt != nil {
		k.expires = *d.ExpiresAt
	}
	return nil
}
