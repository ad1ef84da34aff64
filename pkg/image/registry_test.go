package image

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
)

type fakeECR struct {
	out *ecr.GetAuthorizationTokenOutput
	err error
}

func (f fakeECR) GetAuthorizationToken(context.Context, *ecr.GetAuthorizationTokenInput, ...func(*ecr.Options)) (*ecr.GetAuthorizationTokenOutput, error) {
	return f.out, f.err
}

func TestECRLoginTakesHostFromProxyEndpoint(t *testing.T) {
	token := base64.StdEncoding.EncodeToString([]byte("AWS:secret-password"))
	reg, err := ECR(context.Background(), fakeECR{out: &ecr.GetAuthorizationTokenOutput{AuthorizationData: []ecrtypes.AuthorizationData{{
		AuthorizationToken: aws.String(token), ProxyEndpoint: aws.String("https://registry.example.test:443")}}}})
	if err != nil {
		t.Fatal(err)
	}
	if reg.Host != "registry.example.test:443" || reg.Insecure {
		t.Fatalf("registry %+v", reg)
	}
	cfg, err := reg.Auth.Authorization()
	if err != nil || cfg.Username != "AWS" || cfg.Password != "secret-password" {
		t.Fatalf("auth %+v %v", cfg, err)
	}
	var _ authn.Authenticator = reg.Auth
	repo, err := reg.Repository("demo-app")
	if err != nil || repo.String() != "registry.example.test:443/demo-app" {
		t.Fatalf("repository %v %v", repo, err)
	}
}

func TestECRLoginErrors(t *testing.T) {
	if _, err := ECR(context.Background(), fakeECR{err: errors.New("AccessDenied")}); err == nil || !strings.Contains(err.Error(), "ecr:GetAuthorizationToken") {
		t.Fatalf("want permission hint, got %v", err)
	}
	if _, err := ECR(context.Background(), fakeECR{out: &ecr.GetAuthorizationTokenOutput{}}); err == nil || !strings.Contains(err.Error(), "no authorization data") {
		t.Fatalf("want empty-data error, got %v", err)
	}
	bad := base64.StdEncoding.EncodeToString([]byte("no-colon"))
	if _, err := ECR(context.Background(), fakeECR{out: &ecr.GetAuthorizationTokenOutput{AuthorizationData: []ecrtypes.AuthorizationData{{
		AuthorizationToken: aws.String(bad), ProxyEndpoint: aws.String("https://r.example.test")}}}}); err == nil || !strings.Contains(err.Error(), "user:password") {
		t.Fatalf("want token format error, got %v", err)
	}
}

func TestPlainRejectsURLs(t *testing.T) {
	for _, bad := range []string{"", "http://127.0.0.1:5000", "127.0.0.1:5000/path"} {
		if _, err := Plain(bad); err == nil {
			t.Fatalf("Plain(%q) accepted", bad)
		}
	}
}

// A registry that accepts the connection and never answers fails the request after the transport's
// response-header timeout instead of hanging the run.
func TestUnresponsiveRegistryFailsWithinTheTransportTimeout(t *testing.T) {
	hang := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-hang:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(hang)
	reg, err := Plain(strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	if reg.remoteOptions(context.Background()) == nil || DefaultTransport.(*http.Transport).ResponseHeaderTimeout != ResponseHeaderTimeout {
		t.Fatal("the default transport has no response-header timeout")
	}
	reg.Transport = NewTransport(200 * time.Millisecond)
	start := time.Now()
	_, err = ResolveTag(context.Background(), reg, reg.Host+"/demo-app", "v1")
	if err == nil || !strings.Contains(err.Error(), "timeout awaiting response headers") {
		t.Fatalf("a registry that never answers must fail the request on the header timeout, got %v", err)
	}
	// go-containerregistry retries a failed request a few times (1 s, 3 s back-off); without the
	// timeout this call would never return.
	if took := time.Since(start); took > 20*time.Second {
		t.Fatalf("resolve returned after %s", took)
	}
}
