package helmdeploy

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// ClusterAccess is how Helm reaches a cluster: a RESTClientGetter bound to one namespace.
type ClusterAccess struct {
	clientConfig clientcmd.ClientConfig
	namespace    string
	// Source describes where the access came from, for messages ("kubeconfig <path>", "EKS cluster <name>").
	Source string
	// tokens, when set, supplies bearer tokens that expire (EKS); requests always carry a valid one.
	tokens *refreshingToken
	// Dial, when set, opens the connections to the API server (pkg/addrmap: the endpoint's name and TLS
	// server name stay, the bytes go to the mapped address).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// RequestTimeout bounds every request to the API server (DefaultRequestTimeout when 0), so an
	// unresponsive endpoint fails a call instead of hanging the deploy. Waits are loops of short calls.
	RequestTimeout time.Duration
}

// DefaultRequestTimeout is ClusterAccess.RequestTimeout when unset.
const DefaultRequestTimeout = 30 * time.Second

// TokenFunc returns a bearer token and when it expires.
type TokenFunc func(ctx context.Context) (string, time.Time, error)

// WithRefreshingToken makes every request carry a token from fn, fetched again a minute before the
// current one expires, so waits longer than a token's life (EKS: ~14 minutes) keep working.
func (a *ClusterAccess) WithRefreshingToken(fn TokenFunc) *ClusterAccess {
	a.tokens = &refreshingToken{fetch: fn}
	return a
}

type refreshingToken struct {
	fetch   TokenFunc
	mu      sync.Mutex
	token   string
	expires time.Time
}

func (r *refreshingToken) get(ctx context.Context) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.token == "" || time.Until(r.expires) < time.Minute {
		tok, exp, err := r.fetch(ctx)
		if err != nil {
			return "", fmt.Errorf("refresh cluster token: %w", err)
		}
		r.token, r.expires = tok, exp
	}
	return r.token, nil
}

type bearerRoundTripper struct {
	tokens *refreshingToken
	next   http.RoundTripper
}

func (b *bearerRoundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	tok, err := b.tokens.get(req.Context())
	if err != nil {
		return nil, err
	}
	req = req.Clone(req.Context())
	req.Header.Set("Authorization", "Bearer "+tok)
	return b.next.RoundTrip(req)
}

var _ genericclioptions.RESTClientGetter = (*ClusterAccess)(nil)

// FromKubeconfig reads a kubeconfig file (its current context) for namespace. A missing or invalid file
// is reported here, before anything else happens.
func FromKubeconfig(path, namespace string) (*ClusterAccess, error) {
	if path == "" {
		return nil, fmt.Errorf("no kubeconfig given: pass --kubeconfig, set endpoints.kubeconfig, or deploy to EKS")
	}
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("kubeconfig %s: %w", path, err)
	}
	cfg, err := clientcmd.LoadFromFile(path)
	if err != nil {
		return nil, fmt.Errorf("kubeconfig %s is invalid: %w", path, err)
	}
	if err := clientcmd.Validate(*cfg); err != nil {
		return nil, fmt.Errorf("kubeconfig %s is invalid: %w", path, err)
	}
	a := FromConfig(cfg, namespace)
	a.Source = "kubeconfig " + path
	return a, nil
}

// FromConfig wraps an in-memory kubeconfig (e.g. one built from eks:DescribeCluster) for namespace.
func FromConfig(cfg *clientcmdapi.Config, namespace string) *ClusterAccess {
	overrides := &clientcmd.ConfigOverrides{Context: clientcmdapi.Context{Namespace: namespace}}
	return &ClusterAccess{clientConfig: clientcmd.NewDefaultClientConfig(*cfg, overrides), namespace: namespace, Source: "in-memory kubeconfig"}
}

// ToRESTConfig returns the REST config of the current context.
func (a *ClusterAccess) ToRESTConfig() (*rest.Config, error) {
	c, err := a.clientConfig.ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", a.Source, err)
	}
	if c.Timeout <= 0 {
		c.Timeout = a.RequestTimeout
		if c.Timeout <= 0 {
			c.Timeout = DefaultRequestTimeout
		}
	}
	if a.Dial != nil {
		c.Dial = a.Dial
	}
	if a.tokens != nil {
		c.BearerToken, c.BearerTokenFile = "", ""
		tokens := a.tokens
		c.WrapTransport = func(rt http.RoundTripper) http.RoundTripper { return &bearerRoundTripper{tokens: tokens, next: rt} }
	}
	return c, nil
}

// ToDiscoveryClient returns a memory-cached discovery client.
func (a *ClusterAccess) ToDiscoveryClient() (discovery.CachedDiscoveryInterface, error) {
	c, err := a.ToRESTConfig()
	if err != nil {
		return nil, err
	}
	dc, err := discovery.NewDiscoveryClientForConfig(c)
	if err != nil {
		return nil, err
	}
	return memory.NewMemCacheClient(dc), nil
}

// ToRESTMapper returns a discovery-backed REST mapper.
func (a *ClusterAccess) ToRESTMapper() (meta.RESTMapper, error) {
	dc, err := a.ToDiscoveryClient()
	if err != nil {
		return nil, err
	}
	return restmapper.NewShortcutExpander(restmapper.NewDeferredDiscoveryRESTMapper(dc), dc, nil), nil
}

// ToRawKubeConfigLoader returns the client config.
func (a *ClusterAccess) ToRawKubeConfigLoader() clientcmd.ClientConfig { return a.clientConfig }
