package image

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

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
