package registryfront

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/platformteam/delivery/internal/sandbox/awsfront/control"
	"github.com/platformteam/delivery/internal/sandbox/awsfront/ecrtoken"
)

const staging = "222222222222"

// fakeAuthority stands in for the AWS front: passwords from its signer, permissions from a table.
type fakeAuthority struct {
	signer    *ecrtoken.Signer
	now       time.Time
	allowed   map[string]bool // "<principal> <action> <repository>"
	repos     map[string]bool // existing repositories
	immutable map[string]bool
}

func (a *fakeAuthority) VerifyPassword(p string) (ecrtoken.Claims, error) {
	return a.signer.Verify(p, a.now)
}
func (a *fakeAuthority) AuthorizeRepository(_ context.Context, who ecrtoken.Claims, action, account, repo string) error {
	if a.allowed[who.Principal+" "+action+" "+repo] {
		return nil
	}
	return fmt.Errorf("User: %s is not authorized to perform: ecr:%s on resource: arn:aws:ecr:ap-southeast-2:%s:repository/%s", who.Principal, action, account, repo)
}
func (a *fakeAuthority) RepositoryExists(_ context.Context, _, repo string) (bool, error) {
	return a.repos[repo], nil
}
func (a *fakeAuthority) RepositoryImmutable(_ context.Context, _, repo string) (bool, error) {
	return a.immutable[repo], nil
}

type faultList struct {
	mu     sync.Mutex
	faults []control.Fault
}

func (l *faultList) Take(service, op, account string) *control.Fault {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, f := range l.faults {
		if f.Matches(service, op, account) {
			l.faults = append(l.faults[:i], l.faults[i+1:]...)
			return &f
		}
	}
	return nil
}

type counts struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *counts) Record(account, service, op string, mutating, refused bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n[fmt.Sprintf("%s %s %v %v", account, op, mutating, refused)]++
}

const (
	pusher = "arn:aws:sts::222222222222:assumed-role/demo-staging-ci-build/gha"
	reader = "arn:aws:sts::222222222222:assumed-role/demo-staging-ci-plan/gha"
)

type fixture struct {
	front   *httptest.Server
	backend *httptest.Server
	auth    *fakeAuthority
	faults  *faultList
	counts  *counts
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	now := time.Now()
	backend := httptest.NewServer(registry.New())
	t.Cleanup(backend.Close)
	auth := &fakeAuthority{signer: ecrtoken.New([]byte(strings.Repeat("k", 32))), now: now,
		allowed: map[string]bool{}, repos: map[string]bool{"demo-app": true, "mutable": true}, immutable: map[string]bool{"demo-app": true}}
	for _, a := range []string{"InitiateLayerUpload", "UploadLayerPart", "CompleteLayerUpload", "PutImage", "BatchGetImage", "GetDownloadUrlForLayer", "BatchCheckLayerAvailability"} {
		for _, repo := range []string{"demo-app", "mutable", "missing"} {
			auth.allowed[pusher+" "+a+" "+repo] = true
		}
	}
	for _, a := range []string{"BatchGetImage", "GetDownloadUrlForLayer", "BatchCheckLayerAvailability"} {
		auth.allowed[reader+" "+a+" demo-app"] = true
	}
	fl, cs := &faultList{}, &counts{n: map[string]int{}}
	f, err := New(staging, backend.URL, auth, fl, cs)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return &fixture{front: srv, backend: backend, auth: auth, faults: fl, counts: cs}
}

func (fx *fixture) login(t *testing.T, principal string, expires time.Time) authn.Authenticator {
	t.Helper()
	pw, err := fx.auth.signer.Sign(ecrtoken.Claims{Principal: principal, Account: staging, Expires: expires})
	if err != nil {
		t.Fatal(err)
	}
	return &authn.Basic{Username: ecrtoken.Username, Password: pw}
}

func (fx *fixture) ref(t *testing.T, server *httptest.Server, repo string) name.Reference {
	t.Helper()
	r, err := name.ParseReference(strings.TrimPrefix(server.URL, "http://")+"/"+repo, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func image(t *testing.T) v1.Image {
	t.Helper()
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func errorCode(err error) string {
	var te *transport.Error
	if errors.As(err, &te) && len(te.Errors) > 0 {
		return string(te.Errors[0].Code)
	}
	if errors.As(err, &te) {
		return fmt.Sprint(te.StatusCode)
	}
	return ""
}

func TestPushPullWithAnECRLogin(t *testing.T) {
	fx := newFixture(t)
	img := image(t)
	tag := fx.ref(t, fx.front, "demo-app:v1").(name.Tag)
	if err := remote.Write(tag, img, remote.WithAuth(fx.login(t, pusher, time.Now().Add(time.Hour)))); err != nil {
		t.Fatalf("push with the pusher's login: %v", err)
	}
	want, _ := img.Digest()
	// The image lives in the backend under the account's namespace.
	backendRef := fx.ref(t, fx.backend, staging+"/demo-app:v1")
	got, err := remote.Head(backendRef)
	if err != nil || got.Digest != want {
		t.Fatalf("backend %s: %v %v, want %s", backendRef, got, err, want)
	}
	// A reader pulls it; anonymous and expired logins are refused.
	if _, err := remote.Image(tag, remote.WithAuth(fx.login(t, reader, time.Now().Add(time.Hour)))); err != nil {
		t.Errorf("pull with the reader's login: %v", err)
	}
	if _, err := remote.Image(tag); err == nil {
		t.Error("an anonymous pull was served")
	}
	if _, err := remote.Image(tag, remote.WithAuth(fx.login(t, reader, time.Now().Add(-time.Minute)))); err == nil || !strings.Contains(err.Error(), "expired") {
		t.Errorf("an expired login: %v", err)
	}
	if _, err := remote.Image(tag, remote.WithAuth(&authn.Basic{Username: "AWS", Password: "invented"})); err == nil {
		t.Error("an invented password was accepted")
	}
	// The reader cannot push.
	err = remote.Write(fx.ref(t, fx.front, "demo-app:v2").(name.Tag), image(t), remote.WithAuth(fx.login(t, reader, time.Now().Add(time.Hour))))
	if errorCode(err) != "DENIED" || !strings.Contains(err.Error(), "ecr:InitiateLayerUpload") {
		t.Errorf("a push by the reader: %v", err)
	}
}

func TestImmutableTagsAndMissingRepositories(t *testing.T) {
	fx := newFixture(t)
	auth := remote.WithAuth(fx.login(t, pusher, time.Now().Add(time.Hour)))
	first := image(t)
	tag := fx.ref(t, fx.front, "demo-app:release").(name.Tag)
	if err := remote.Write(tag, first, auth); err != nil {
		t.Fatal(err)
	}
	// remote.Write skips a manifest that exists: PUT the same manifest again by hand, as a re-run would.
	raw, _ := first.RawManifest()
	mt, _ := first.MediaType()
	req, _ := http.NewRequest(http.MethodPut, fx.front.URL+"/v2/demo-app/manifests/release", bytes.NewReader(raw))
	req.Header.Set("Content-Type", string(mt))
	basic := fx.login(t, pusher, time.Now().Add(time.Hour)).(*authn.Basic)
	req.SetBasicAuth(basic.Username, basic.Password)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Errorf("pushing the same digest again to an immutable tag: %s, want 201 Created", resp.Status)
	}
	err = remote.Write(tag, image(t), auth)
	if errorCode(err) != "TAG_INVALID" || !strings.Contains(err.Error(), "cannot be overwritten because the repository is immutable") {
		t.Errorf("moving an immutable tag: %v", err)
	}
	got, _ := remote.Head(tag, auth)
	want, _ := first.Digest()
	if got == nil || got.Digest != want {
		t.Errorf("the refused push moved the tag: %v", got)
	}
	// A mutable repository lets the tag move.
	mtag := fx.ref(t, fx.front, "mutable:latest").(name.Tag)
	if err := remote.Write(mtag, image(t), auth); err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(mtag, image(t), auth); err != nil {
		t.Errorf("a mutable tag could not move: %v", err)
	}
	// A repository the account's ECR does not have.
	err = remote.Write(fx.ref(t, fx.front, "missing:v1").(name.Tag), image(t), auth)
	if errorCode(err) != "NAME_UNKNOWN" {
		t.Errorf("a push to a repository ECR does not have: %v", err)
	}
}

func TestRegistryFaultsAndCounts(t *testing.T) {
	fx := newFixture(t)
	auth := remote.WithAuth(fx.login(t, pusher, time.Now().Add(time.Hour)))
	tag := fx.ref(t, fx.front, "demo-app:v1").(name.Tag)
	if err := remote.Write(tag, image(t), auth); err != nil {
		t.Fatal(err)
	}
	fx.faults.faults = append(fx.faults.faults, control.Fault{Service: Service, Operation: "GetManifest", Kind: control.ServerError, Status: 503})
	_, err := remote.Head(tag, auth, remote.WithRetryBackoff(remote.Backoff{Steps: 1}))
	var te *transport.Error
	if !errors.As(err, &te) || te.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("injected 503: %v", err)
	}
	if _, err := remote.Head(tag, auth); err != nil {
		t.Errorf("after the fault: %v", err)
	}
	fx.faults.faults = append(fx.faults.faults, control.Fault{Service: Service, Operation: "GetManifest", Kind: control.Delay, Delay: control.Duration{Duration: 400 * time.Millisecond}})
	began := time.Now()
	if _, err := remote.Head(tag, auth); err != nil || time.Since(began) < 400*time.Millisecond {
		t.Errorf("delay fault: %v after %s", err, time.Since(began))
	}
	fx.counts.mu.Lock()
	defer fx.counts.mu.Unlock()
	if fx.counts.n[staging+" PutManifest true false"] != 1 || fx.counts.n[staging+" GetManifest false true"] != 1 {
		t.Errorf("counts: %v", fx.counts.n)
	}
}
