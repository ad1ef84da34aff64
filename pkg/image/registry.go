package image

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Registry is where an environment's image lives and how to talk to it.
type Registry struct {
	// Host is host[:port] of the registry.
	Host string
	// Insecure means plain HTTP (the sandbox registry); real registries are always HTTPS.
	Insecure bool
	// Auth authenticates requests (anonymous when nil).
	Auth authn.Authenticator
	// Transport carries the requests (DefaultTransport when nil); tests count requests with it.
	Transport http.RoundTripper
}

// ResponseHeaderTimeout is how long DefaultTransport waits for a registry's response headers: an
// endpoint that accepts the connection and never answers fails the request instead of hanging the
// run. Bodies (layer uploads and downloads) are not bounded by it, only bounded by the caller's context.
const ResponseHeaderTimeout = 60 * time.Second

// DefaultTransport is the transport of every registry request without its own: go-containerregistry's
// default (30 s dial, 10 s TLS handshake) with a response-header timeout.
var DefaultTransport http.RoundTripper = NewTransport(ResponseHeaderTimeout)

// NewTransport returns go-containerregistry's default transport waiting at most responseHeader for
// the response headers of each request.
func NewTransport(responseHeader time.Duration) http.RoundTripper {
	t := remote.DefaultTransport.(*http.Transport).Clone()
	t.ResponseHeaderTimeout = responseHeader
	return t
}

// Plain is an unauthenticated plain-HTTP registry at host:port (the sandbox registry).
func Plain(host string) (Registry, error) {
	host = strings.TrimSpace(host)
	if strings.Contains(host, "/") || host == "" {
		return Registry{}, fmt.Errorf("registry %q must be host:port, without scheme or path", host)
	}
	if _, err := name.NewRegistry(host, name.Insecure); err != nil {
		return Registry{}, fmt.Errorf("registry %q: %w", host, err)
	}
	return Registry{Host: host, Insecure: true}, nil
}

// ECRTokenGetter is the part of the ECR API that registry login needs.
type ECRTokenGetter interface {
	GetAuthorizationToken(ctx context.Context, in *ecr.GetAuthorizationTokenInput, optFns ...func(*ecr.Options)) (*ecr.GetAuthorizationTokenOutput, error)
}

// ECR logs in to the account's ECR registry. The host is taken from the token's proxy endpoint, so no
// host pattern is assumed anywhere.
func ECR(ctx context.Context, api ECRTokenGetter) (Registry, error) {
	out, err := api.GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
	if err != nil {
		return Registry{}, fmt.Errorf("ECR GetAuthorizationToken: %w (the role needs ecr:GetAuthorizationToken)", err)
	}
	if len(out.AuthorizationData) == 0 || out.AuthorizationData[0].AuthorizationToken == nil || out.AuthorizationData[0].ProxyEndpoint == nil {
		return Registry{}, errors.New("ECR GetAuthorizationToken returned no authorization data")
	}
	data := out.AuthorizationData[0]
	raw, err := base64.StdEncoding.DecodeString(*data.AuthorizationToken)
	if err != nil {
		return Registry{}, fmt.Errorf("decode ECR authorization token: %w", err)
	}
	user, pass, ok := strings.Cut(string(raw), ":")
	if !ok {
		return Registry{}, errors.New("ECR authorization token is not user:password")
	}
	u, err := url.Parse(*data.ProxyEndpoint)
	if err != nil || u.Host == "" {
		return Registry{}, fmt.Errorf("ECR proxy endpoint %q is not a URL", *data.ProxyEndpoint)
	}
	// A plain-HTTP proxy endpoint is an ECR stand-in (the sandbox's twin accounts); ECR itself is HTTPS.
	return Registry{Host: u.Host, Insecure: u.Scheme == "http", Auth: &authn.Basic{Username: user, Password: pass}}, nil
}

// Repository is the reference of repo inside this registry.
func (r Registry) Repository(repo string) (name.Repository, error) {
	ref, err := name.NewRepository(r.Host+"/"+repo, r.nameOptions()...)
	if err != nil {
		return name.Repository{}, fmt.Errorf("repository %s/%s: %w", r.Host, repo, err)
	}
	return ref, nil
}

func (r Registry) nameOptions() []name.Option {
	opts := []name.Option{name.StrictValidation}
	if r.Insecure {
		opts = append(opts, name.Insecure)
	}
	return opts
}

func (r Registry) remoteOptions(ctx context.Context) []remote.Option {
	auth := r.Auth
	if auth == nil {
		auth = authn.Anonymous
	}
	transport := r.Transport
	if transport == nil {
		transport = DefaultTransport
	}
	return []remote.Option{remote.WithContext(ctx), remote.WithAuth(auth), remote.WithTransport(transport)}
}

// cutHost splits <host>/<path>.
func cutHost(repository string) (host, path string, ok bool) {
	host, path, ok = strings.Cut(repository, "/")
	return host, path, ok && host != "" && path != ""
}

// At is the same credentials and transport for another registry host (a promotion's source registry:
// an ECR token is valid for every registry the principal may read).
func (r Registry) At(host string) Registry {
	c := r
	c.Host = host
	return c
}
