package kubeagent

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

type fakeECR struct {
	endpoint string
	calls    int
	expires  time.Time
}

func (f *fakeECR) GetAuthorizationToken(context.Context, *ecr.GetAuthorizationTokenInput, ...func(*ecr.Options)) (*ecr.GetAuthorizationTokenOutput, error) {
	f.calls++
	token := base64.StdEncoding.EncodeToString([]byte("AWS:password-" + string(rune('0'+f.calls))))
	return &ecr.GetAuthorizationTokenOutput{AuthorizationData: []ecrtypes.AuthorizationData{{
		AuthorizationToken: aws.String(token), ProxyEndpoint: aws.String(f.endpoint), ExpiresAt: aws.Time(f.expires)}}}, nil
}

// A registry that, as the twin's registry front, accepts only user AWS with the current password.
func authRegistry(t *testing.T, password func() string) string {
	t.Helper()
	inner := registry.New()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, ok := r.BasicAuth()
		if !ok || user != "AWS" || pass != password() {
			w.Header().Set("WWW-Authenticate", `Basic realm="ecr"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		inner.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// ecrRig is an account's registry (authRegistry) holding one image pushed with an ECR keychain.
type ecrRig struct {
	fake   *fakeECR
	host   string
	kc     *ECRKeychain
	now    time.Time     // the keychain's clock
	accept func() string // the password the registry accepts (default: the fake's latest token)
	digest v1.Hash
}

func newECRRig(t *testing.T) *ecrRig {
	t.Helper()
	r := &ecrRig{now: time.Now()}
	r.fake = &fakeECR{expires: r.now.Add(12 * time.Hour)}
	r.accept = func() string { return "password-" + string(rune('0'+r.fake.calls)) }
	r.host = authRegistry(t, func() string { return r.accept() })
	r.fake.endpoint = "http://" + r.host
	r.kc = &ECRKeychain{API: r.fake, Now: func() time.Time { return r.now }}
	img, _ := random.Image(128, 1)
	ref, _ := name.ParseReference(r.host + "/demo-app:v1")
	if err := remote.Write(ref, img, remote.WithAuthFromKeychain(r.kc)); err != nil {
		t.Fatalf("push with the keychain: %v", err)
	}
	r.digest, _ = img.Digest()
	return r
}

func TestECRKeychainPullsFromTheAccountsRegistry(t *testing.T) {
	r := newECRRig(t)
	fake, host, kc := r.fake, r.host, r.kc
	digest := r.digest
	got, err := RegistryResolver{Keychain: kc}.Resolve(context.Background(), host+"/demo-app:v1")
	if err != nil || got != host+"/demo-app@"+digest.String() {
		t.Fatalf("Resolve = %q, %v", got, err)
	}
	if _, err := (RegistryResolver{}).Resolve(context.Background(), host+"/demo-app:v1"); err == nil {
		t.Error("an anonymous pull from the account's registry succeeded")
	}
	other, _ := name.NewRegistry("127.0.0.1:5000")
	if a, err := kc.Resolve(other); err != nil || a != authn.Anonymous {
		t.Errorf("another registry: %v, %v (want anonymous)", a, err)
	}
	calls := fake.calls
	r.now = r.now.Add(13 * time.Hour) // the token expired: a new one is fetched
	if _, err := (RegistryResolver{Keychain: kc}).Resolve(context.Background(), host+"/demo-app:v1"); err != nil || fake.calls != calls+1 {
		t.Errorf("after expiry: %v, %d token calls (want %d)", err, fake.calls, calls+1)
	}
}

// The registry stops accepting a token before its expiry (its keys changed): the pull logs in again
// once and succeeds, as kubelet does; a registry that refuses every login still fails the pull.
func TestECRKeychainLogsInAgainWhenTheRegistryRefusesItsToken(t *testing.T) {
	r := newECRRig(t)
	fake, host, kc := r.fake, r.host, r.kc
	digest := r.digest

	fake.calls++ // the registry now wants a token the keychain has not fetched yet
	calls := fake.calls
	got, err := RegistryResolver{Keychain: kc}.Resolve(context.Background(), host+"/demo-app:v1")
	if err != nil || got != host+"/demo-app@"+digest.String() {
		t.Fatalf("Resolve after the registry refused the cached token = %q, %v", got, err)
	}
	if fake.calls != calls+1 {
		t.Fatalf("%d token calls after the refusal, want one new login", fake.calls-calls)
	}

	r.accept = func() string { return "never" }
	_, err = RegistryResolver{Keychain: kc}.Resolve(context.Background(), host+"/demo-app:v1")
	var pe *PullError
	if !errors.As(err, &pe) || pe.Reason != ReasonErrImagePull || !strings.Contains(pe.Message, "401") {
		t.Fatalf("a registry that refuses every login: %v, want ErrImagePull naming the 401", err)
	}
}
