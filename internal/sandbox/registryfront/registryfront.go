// Package registryfront is one twin account's container registry, as ECR serves it: a Docker Registry
// v2 front on its own port, over the sandbox's one docker-registry backend where each account's
// repositories live under "<account>/".
//
// As ECR does, it requires Basic auth with the password GetAuthorizationToken returned (user AWS),
// checks every call against the principal's IAM permissions for the matching ecr: action on the
// repository ARN (and, for another account's principal, the repository policy: cross-account pull is
// how production promotes staging's image), refuses repositories that the account's ECR does not
// have, and refuses to move an existing tag of an IMMUTABLE repository to another digest (pushing the
// same digest again is accepted). Faults can make it fail or wait on demand.
package registryfront

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/platformteam/delivery/internal/sandbox/awsfront/control"
	"github.com/platformteam/delivery/internal/sandbox/awsfront/ecrtoken"
)

// Authority answers what the registry needs to know from the account's IAM and ECR (the AWS front).
type Authority interface {
	VerifyPassword(password string) (ecrtoken.Claims, error)
	// AuthorizeRepository returns nil when the principal may do the ecr action (e.g. "PutImage").
	AuthorizeRepository(ctx context.Context, who ecrtoken.Claims, action, account, repository string) error
	RepositoryExists(ctx context.Context, account, repository string) (bool, error)
	RepositoryImmutable(ctx context.Context, account, repository string) (bool, error)
}

// FaultSource hands out the faults installed for service "registry".
type FaultSource interface {
	Take(service, operation, account string) *control.Fault
}

// Recorder counts calls (the AWS front's request counters).
type Recorder interface {
	Record(account, service, operation string, mutating, refused bool)
}

// Service is the fault and counter service name of registry calls.
const Service = "registry"

// Front is one account's registry. Create it with New.
type Front struct {
	account   string
	backend   *url.URL
	authority Authority
	faults    FaultSource
	recorder  Recorder
	proxy     *httputil.ReverseProxy
	client    *http.Client
	logger    *log.Logger

	mu    sync.Mutex
	locks map[string]*sync.Mutex // per repository: immutable tag checks and writes
}

// New returns the registry front of account over the docker-registry at backend.
func New(account, backend string, authority Authority, faults FaultSource, recorder Recorder) (*Front, error) {
	u, err := url.Parse(backend)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("registry backend %q is not a URL such as http://127.0.0.1:5000", backend)
	}
	f := &Front{account: account, backend: u, authority: authority, faults: faults, recorder: recorder,
		client: &http.Client{Timeout: time.Minute}, locks: map[string]*sync.Mutex{},
		logger: log.New(io.Discard, "", 0)}
	f.proxy = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(u)
			pr.Out.Host = u.Host
		},
		ModifyResponse: f.rewriteResponse,
	}
	return f, nil
}

// SetLogger sets where refusals are logged.
func (f *Front) SetLogger(l *log.Logger) { f.logger = l }

// route is what a registry request is: its operation, repository, and the ECR action it needs.
type route struct {
	operation  string // GetManifest, PutManifest, DeleteManifest, GetBlob, PutBlob, ListTags, Base, Catalog
	repository string // client-side name, "" for /v2/ and _catalog
	reference  string // manifest tag or digest
	action     string // ECR IAM action (without "ecr:")
	mutating   bool
}

var (
	manifestPath = regexp.MustCompile(`^/v2/(.+)/manifests/([^/]+)$`)
	blobPath     = regexp.MustCompile(`^/v2/(.+)/blobs/([^/]+)$`)
	uploadPath   = regexp.MustCompile(`^/v2/(.+)/blobs/uploads(/[^/]*)?$`)
	tagsPath     = regexp.MustCompile(`^/v2/(.+)/tags/list$`)
	referrerPath = regexp.MustCompile(`^/v2/(.+)/referrers/([^/]+)$`)
)

func classify(r *http.Request) (route, bool) {
	p := r.URL.Path
	write := r.Method != http.MethodGet && r.Method != http.MethodHead
	switch {
	case p == "/v2/" || p == "/v2":
		return route{operation: "Base"}, true
	case p == "/v2/_catalog":
		return route{operation: "Catalog"}, true
	case uploadPath.MatchString(p):
		m := uploadPath.FindStringSubmatch(p)
		action := "UploadLayerPart"
		switch r.Method {
		case http.MethodPost:
			action = "InitiateLayerUpload"
		case http.MethodPut:
			action = "CompleteLayerUpload"
		}
		return route{operation: "PutBlob", repository: m[1], action: action, mutating: true}, true
	case manifestPath.MatchString(p):
		m := manifestPath.FindStringSubmatch(p)
		switch r.Method {
		case http.MethodPut:
			return route{operation: "PutManifest", repository: m[1], reference: m[2], action: "PutImage", mutating: true}, true
		case http.MethodDelete:
			return route{operation: "DeleteManifest", repository: m[1], reference: m[2], action: "BatchDeleteImage", mutating: true}, true
		}
		return route{operation: "GetManifest", repository: m[1], reference: m[2], action: "BatchGetImage"}, true
	case blobPath.MatchString(p):
		m := blobPath.FindStringSubmatch(p)
		if write {
			return route{operation: "DeleteBlob", repository: m[1], reference: m[2], action: "BatchDeleteImage", mutating: true}, true
		}
		action := "GetDownloadUrlForLayer"
		if r.Method == http.MethodHead {
			action = "BatchCheckLayerAvailability"
		}
		return route{operation: "GetBlob", repository: m[1], reference: m[2], action: action}, true
	case tagsPath.MatchString(p):
		return route{operation: "ListTags", repository: tagsPath.FindStringSubmatch(p)[1], action: "ListImages"}, true
	case referrerPath.MatchString(p):
		m := referrerPath.FindStringSubmatch(p)
		return route{operation: "GetReferrers", repository: m[1], reference: m[2], action: "BatchGetImage"}, true
	}
	return route{}, false
}

// registryError writes the Docker Registry v2 error body.
func registryError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"errors": []map[string]any{{"code": code, "message": message, "detail": nil}}})
}

func (f *Front) unauthorized(w http.ResponseWriter, r *http.Request, message string) {
	w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Basic realm="https://%s/",service="ecr.amazonaws.com"`, r.Host))
	registryError(w, http.StatusUnauthorized, "DENIED", message)
}

// ServeHTTP implements http.Handler.
func (f *Front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rt, ok := classify(r)
	if !ok {
		registryError(w, http.StatusNotFound, "NOT_FOUND", "404 page not found")
		return
	}
	refused := true
	defer func() {
		if f.recorder != nil {
			f.recorder.Record(f.account, Service, rt.operation, rt.mutating, refused)
		}
	}()
	who, err := f.authenticate(r)
	if err != nil {
		f.unauthorized(w, r, err.Error())
		return
	}
	if fault := f.takeFault(rt.operation); fault != nil {
		switch fault.Kind {
		case control.Delay:
			t := time.NewTimer(fault.Delay.Duration)
			select {
			case <-t.C:
			case <-r.Context().Done():
			}
			t.Stop()
		case control.Throttle:
			registryError(w, http.StatusTooManyRequests, "TOOMANYREQUESTS", "Rate exceeded (fault injected by the sandbox twin)")
			return
		default:
			status := fault.Status
			if status == 0 {
				status = http.StatusInternalServerError
			}
			registryError(w, status, "UNKNOWN", fmt.Sprintf("internal error (fault injected by the sandbox twin, status %d)", status))
			return
		}
	}
	switch rt.operation {
	case "Base":
		refused = false
		w.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_, _ = w.Write([]byte("{}"))
		return
	case "Catalog":
		registryError(w, http.StatusNotFound, "UNSUPPORTED", "The operation is unsupported: ECR does not serve the catalog; use DescribeRepositories.")
		return
	}
	ctx := r.Context()
	if err := f.authority.AuthorizeRepository(ctx, who, rt.action, f.account, rt.repository); err != nil {
		f.logger.Printf("registry %s: denied %s %s on %s: %v", f.account, who.Principal, rt.action, rt.repository, err)
		registryError(w, http.StatusForbidden, "DENIED", err.Error())
		return
	}
	exists, err := f.authority.RepositoryExists(ctx, f.account, rt.repository)
	if err != nil {
		registryError(w, http.StatusInternalServerError, "UNKNOWN", err.Error())
		return
	}
	if !exists {
		registryError(w, http.StatusNotFound, "NAME_UNKNOWN",
			fmt.Sprintf("The repository with name '%s' does not exist in the registry with id '%s'", rt.repository, f.account))
		return
	}
	if mount := r.URL.Query().Get("from"); mount != "" && rt.operation == "PutBlob" {
		if err := f.authority.AuthorizeRepository(ctx, who, "BatchGetImage", f.account, mount); err != nil {
			registryError(w, http.StatusForbidden, "DENIED", err.Error())
			return
		}
		q := r.URL.Query()
		q.Set("from", f.account+"/"+mount)
		r.URL.RawQuery = q.Encode()
	}
	if rt.operation == "PutManifest" {
		lock := f.repoLock(rt.repository)
		lock.Lock()
		defer lock.Unlock()
		body, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
		if err != nil {
			registryError(w, http.StatusBadRequest, "MANIFEST_INVALID", err.Error())
			return
		}
		if err := f.checkImmutable(ctx, rt, body); err != nil {
			var ce *conflictError
			if errors.As(err, &ce) {
				registryError(w, http.StatusBadRequest, "TAG_INVALID", ce.Error())
				return
			}
			registryError(w, http.StatusInternalServerError, "UNKNOWN", err.Error())
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
	}
	refused = false
	r.URL.Path = "/v2/" + f.account + "/" + strings.TrimPrefix(r.URL.Path, "/v2/")
	r.URL.RawPath = ""
	r.Header.Del("Authorization")
	f.proxy.ServeHTTP(w, r)
}

func (f *Front) takeFault(operation string) *control.Fault {
	if f.faults == nil {
		return nil
	}
	return f.faults.Take(Service, operation, f.account)
}

// authenticate reads the Basic credentials: user AWS and a password GetAuthorizationToken issued.
func (f *Front) authenticate(r *http.Request) (ecrtoken.Claims, error) {
	h := r.Header.Get("Authorization")
	scheme, value, _ := strings.Cut(h, " ")
	if h == "" || !strings.EqualFold(scheme, "Basic") {
		return ecrtoken.Claims{}, errors.New("Your authorization token is missing: log in with the password from ecr:GetAuthorizationToken")
	}
	raw, err := base64.StdEncoding.DecodeString(value)
	if err != nil {
		return ecrtoken.Claims{}, errors.New("Your authorization token is not valid base64")
	}
	user, password, _ := strings.Cut(string(raw), ":")
	if user != ecrtoken.Username {
		return ecrtoken.Claims{}, fmt.Errorf("Your authorization token has user %q; ECR logins use %q", user, ecrtoken.Username)
	}
	claims, err := f.authority.VerifyPassword(password)
	if errors.Is(err, ecrtoken.ErrExpired) {
		return claims, errors.New("Your authorization token has expired. Reauthenticate and try again.")
	}
	if err != nil {
		return claims, errors.New("Your authorization token is invalid: " + err.Error())
	}
	return claims, nil
}

func (f *Front) repoLock(repo string) *sync.Mutex {
	f.mu.Lock()
	defer f.mu.Unlock()
	l, ok := f.locks[repo]
	if !ok {
		l = &sync.Mutex{}
		f.locks[repo] = l
	}
	return l
}

type conflictError struct{ tag, repo string }

func (e *conflictError) Error() string {
	return fmt.Sprintf("The image tag '%s' already exists in the '%s' repository and cannot be overwritten because the repository is immutable.", e.tag, e.repo)
}

// manifestTypes are every manifest media type, so the backend answers with the stored manifest's own
// digest (never a converted one).
const manifestTypes = "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, " +
	"application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json, " +
	"application/vnd.docker.distribution.manifest.v1+prettyjws"

// checkImmutable refuses a tag push that would move an existing tag of an IMMUTABLE repository.
func (f *Front) checkImmutable(ctx context.Context, rt route, manifest []byte) error {
	if strings.HasPrefix(rt.reference, "sha256:") {
		return nil // a push by digest moves no tag
	}
	immutable, err := f.authority.RepositoryImmutable(ctx, f.account, rt.repository)
	if err != nil || !immutable {
		return err
	}
	existing, err := f.Digest(ctx, rt.repository, rt.reference)
	if err != nil || existing == "" {
		return err
	}
	sum := sha256.Sum256(manifest)
	if existing == "sha256:"+hex.EncodeToString(sum[:]) {
		return nil
	}
	return &conflictError{tag: rt.reference, repo: rt.repository}
}

// Digest resolves a reference (tag or digest) of a repository of this account to its manifest digest
// in the backend, "" when it does not exist.
func (f *Front) Digest(ctx context.Context, repository, reference string) (string, error) {
	u := *f.backend
	u.Path = "/v2/" + f.account + "/" + repository + "/manifests/" + reference
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, u.String(), nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Accept", manifestTypes)
	resp, err := f.client.Do(req)
	if err != nil {
		return "", fmt.Errorf("registry backend: %w", err)
	}
	resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
		return resp.Header.Get("Docker-Content-Digest"), nil
	case http.StatusNotFound:
		return "", nil
	}
	return "", fmt.Errorf("registry backend: HEAD %s: %s", u.Path, resp.Status)
}

// rewriteResponse maps backend names back to the client's in Location headers.
func (f *Front) rewriteResponse(resp *http.Response) error {
	loc := resp.Header.Get("Location")
	if loc == "" {
		return nil
	}
	u, err := url.Parse(loc)
	if err != nil {
		return nil
	}
	prefix := "/v2/" + f.account + "/"
	if strings.HasPrefix(u.Path, prefix) {
		u.Path = "/v2/" + strings.TrimPrefix(u.Path, prefix)
		u.RawPath = ""
		if u.IsAbs() {
			u.Scheme, u.Host = "", ""
		}
		resp.Header.Set("Location", u.String())
	}
	return nil
}
