package awsfront

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
)

// manifestAccept lists every manifest media type, so the registry answers with the stored digest.
const manifestAccept = "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, " +
	"application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json"

// ImageDigest resolves an image reference to the digest the registry holds for it now, as ECS does
// when a deployment starts its tasks. It understands the sandbox's plain registry, each twin account's
// registry address and the accounts' ECR host names (<account>.dkr.ecr.<region>.amazonaws.com), all
// stored in the one registry backend. ok is false when the image is not there.
func (f *Front) ImageDigest(ctx context.Context, image string) (digest string, ok bool, err error) {
	if f.cfg.RegistryBackend == "" {
		return "", false, nil
	}
	ref, err := name.ParseReference(image, name.Insecure, name.WeakValidation)
	if err != nil {
		return "", false, fmt.Errorf("image %q: %w", image, err)
	}
	repo, known := f.backendRepository(ref.Context().RegistryStr(), ref.Context().RepositoryStr())
	if !known {
		return "", false, nil
	}
	backend, err := url.Parse(f.cfg.RegistryBackend)
	if err != nil {
		return "", false, err
	}
	backend.Path = "/v2/" + repo + "/manifests/" + ref.Identifier()
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, backend.String(), nil)
	if err != nil {
		return "", false, err
	}
	req.Header.Set("Accept", manifestAccept)
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		return "", false, fmt.Errorf("registry backend: %w", err)
	}
	resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
		return resp.Header.Get("Docker-Content-Digest"), true, nil
	case http.StatusNotFound:
		return "", false, nil
	}
	return "", false, fmt.Errorf("registry backend: HEAD %s: %s", backend.Path, resp.Status)
}

// backendRepository maps a registry host and repository to the backend's repository name.
func (f *Front) backendRepository(host, repo string) (string, bool) {
	if b, err := url.Parse(f.cfg.RegistryBackend); err == nil && host == b.Host {
		return repo, true
	}
	for _, a := range f.cfg.Accounts {
		region := a.Region
		if region == "" {
			region = f.cfg.Region
		}
		ecrHost := fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com", a.ID, region)
		endpointHost := strings.TrimPrefix(strings.TrimPrefix(a.RegistryEndpoint, "http://"), "https://")
		switch {
		case a.Registry != "" && host == a.Registry, host == ecrHost && a.Registry != "":
			return a.ID + "/" + repo, true
		case host == ecrHost || host == endpointHost:
			return repo, true // the account uses the plain registry
		}
	}
	return "", false
}
