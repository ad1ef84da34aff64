package kubeagent

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/platformteam/delivery/internal/sandbox/kube/kwokstages"
)

// Image reference markers for tests (kwokstages, docs/sandbox.md): a reference containing
// PullFailMarker never pulls; one containing PullFlakyMarker fails its first pull for each pod, then
// pulls normally (one ErrImagePull, as a registry hiccup causes).
const (
	PullFailMarker  = kwokstages.PullFailMarker
	PullFlakyMarker = kwokstages.PullFlakyMarker
)

// Resolver finds the digest a registry serves for an image reference.
type Resolver interface {
	// Resolve returns the imageID (`<repository>@sha256:...`) of ref, or an error: *PullError.
	Resolve(ctx context.Context, ref string) (string, error)
}

// PullError is a failed pull with the waiting reason the kubelet reports for it.
type PullError struct {
	Reason   string // ErrImagePull or InvalidImageName
	Message  string
	NotFound bool // the registry answered that the repository or manifest does not exist
}

func (e *PullError) Error() string { return e.Message }

// RegistryResolver resolves references against their registries with a HEAD of the manifest, as a
// pull starts.
type RegistryResolver struct {
	// Hosts maps a registry host to the host:port that serves it (an account's ECR host → the twin
	// registry its proxyEndpoint names): the pull goes there, the imageID keeps the reference's name.
	Hosts     map[string]string
	Keychain  authn.Keychain    // nil: anonymous
	Transport http.RoundTripper // nil: a default transport
	Timeout   time.Duration     // per pull; 0: 10s
}

// Resolve implements Resolver.
func (r RegistryResolver) Resolve(ctx context.Context, ref string) (string, error) {
	parsed, err := name.ParseReference(ref)
	if err != nil {
		return "", &PullError{Reason: ReasonInvalidImageName, Message: fmt.Sprintf("Failed to apply default image tag %q: couldn't parse image name %q: %v", ref, ref, err)}
	}
	timeout := r.Timeout
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	keychain := r.Keychain
	if keychain == nil {
		keychain = authn.NewMultiKeychain()
	}
	opts := []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(keychain)}
	if r.Transport != nil {
		opts = append(opts, remote.WithTransport(r.Transport))
	}
	fetch := parsed
	if to, ok := r.Hosts[parsed.Context().RegistryStr()]; ok {
		sep := ":"
		if strings.HasPrefix(parsed.Identifier(), "sha256:") {
			sep = "@"
		}
		if fetch, err = name.ParseReference(to+"/"+parsed.Context().RepositoryStr()+sep+parsed.Identifier(), name.Insecure); err != nil {
			return "", &PullError{Reason: ReasonInvalidImageName, Message: fmt.Sprintf("image %q served at %s: %v", ref, to, err)}
		}
	}
	desc, err := remote.Head(fetch, opts...)
	if f, ok := keychain.(interface{ Forget() }); ok && isUnauthorized(err) {
		// A cached login the registry no longer accepts: log in again, once.
		f.Forget()
		desc, err = remote.Head(fetch, opts...)
	}
	if err != nil {
		return "", &PullError{Reason: ReasonErrImagePull, NotFound: isNotFound(err),
			Message: fmt.Sprintf("failed to pull and unpack image %q: failed to resolve reference %q: %v", ref, ref, err)}
	}
	return parsed.Context().Name() + "@" + desc.Digest.String(), nil
}

func isUnauthorized(err error) bool {
	var terr *transport.Error
	return errors.As(err, &terr) && terr.StatusCode == http.StatusUnauthorized
}

func isNotFound(err error) bool {
	var terr *transport.Error
	if errors.As(err, &terr) {
		if terr.StatusCode == http.StatusNotFound {
			return true
		}
		for _, d := range terr.Errors {
			if d.Code == transport.ManifestUnknownErrorCode || d.Code == transport.NameUnknownErrorCode {
				return true
			}
		}
	}
	return false
}

// puller applies the test markers and the cluster's strictness around a Resolver.
type puller struct {
	resolver Resolver
	// strict: an image the registry cannot serve fails the pull, as on EKS. Lenient (the local
	// cluster): an image that does not exist still starts, with no imageID, as before the twin.
	strict bool

	mu    sync.Mutex
	flaky map[string]bool // pod UID/container that already failed its one flaky pull
}

func newPuller(r Resolver, strict bool) *puller {
	return &puller{resolver: r, strict: strict, flaky: map[string]bool{}}
}

// pull returns the imageID of a container's image ("" when a lenient cluster could not resolve it).
func (p *puller) pull(ctx context.Context, podUID, container, ref string) (string, error) {
	if strings.Contains(ref, PullFailMarker) {
		return "", &PullError{Reason: ReasonErrImagePull,
			Message: fmt.Sprintf("failed to pull and unpack image %q: the sandbox rejects images whose reference contains %q", ref, PullFailMarker)}
	}
	if strings.Contains(ref, PullFlakyMarker) {
		key := podUID + "/" + container
		p.mu.Lock()
		first := !p.flaky[key]
		p.flaky[key] = true
		p.mu.Unlock()
		if first {
			return "", &PullError{Reason: ReasonErrImagePull,
				Message: fmt.Sprintf("failed to pull and unpack image %q: unexpected status from HEAD request: 503 Service Unavailable (the sandbox fails the first pull of %q images once)", ref, PullFlakyMarker)}
		}
	}
	id, err := p.resolver.Resolve(ctx, ref)
	var perr *PullError
	if err != nil && !p.strict && errors.As(err, &perr) && perr.Reason == ReasonErrImagePull {
		return "", nil
	}
	return id, err
}

// forget drops the flaky-pull memory of a pod that is gone.
func (p *puller) forget(podUID string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for k := range p.flaky {
		if strings.HasPrefix(k, podUID+"/") {
			delete(p.flaky, k)
		}
	}
}
