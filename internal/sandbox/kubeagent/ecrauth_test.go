package kubeagent

import (
	"context"
	"encoding/base64"
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

func TestECRKeychainPullsFromTheAccountsRegistry(t *testing.T) {
	now := time.Now()
	fake := &fakeECR{expires: now.Add(12 * time.Hour)}
	host := authRegistry(t, func() string { return "password-" + string(rune('0'+fake.calls)) })
	fake.endpoint = "http://" + host
	kc := &ECRKeychain{API: fake, Now: func() time.Time { return now }}

	img, _ := random.Image(128, 1)
	ref, _ := name.ParseReference(host + "/demo-app:v1")
	if err := remote.Write(ref, img, remote.WithAuthFromKeychain(kc)); err != nil {
		t.Fatalf("push with the keychain: %v", err)
	}
	digest, _ := img.Digest()
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
	now = now.Add(13 * time.Hour) // the token expired: a new one is fetched
	if _, err := (RegistryResolver{Keychain: kc}).Resolve(context.Background(), host+"/demo-app:v1"); err != nil || fake.calls != calls+1 {
		t.Errorf("after expiry: %v, %d token calls (want %d)", err, fake.calls, calls+1)
	}
}
