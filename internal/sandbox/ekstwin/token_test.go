package ekstwin

import (
	"context"
	"encoding/base64"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awscreds "github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/platformteam/delivery/internal/sandbox/awsfront/credentials"
	"github.com/platformteam/delivery/pkg/eksauth"
)

const twinSTS = "http://127.0.0.1:4566"

var deployRoleSession = credentials.Credential{
	AccessKeyID: "ASIAEXAMPLEDEPLOY001", SecretAccessKey: "deploy-secret", SessionToken: "deploy-session-token",
	Principal: "arn:aws:sts::222222222222:assumed-role/demo-staging-ci-deploy-eks/gha-run-1",
	Account:   "222222222222",
}

// registry is the AWS front's credential registry holding creds.
func registry(t *testing.T, creds ...credentials.Credential) *credentials.Registry {
	t.Helper()
	r := credentials.New()
	for _, c := range creds {
		if err := r.Add(c); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

// token makes a token the way the pipeline does (pkg/eksauth), with the given credential.
func token(t *testing.T, c credentials.Credential, cluster string) string {
	t.Helper()
	cfg := aws.Config{
		Region:       "ap-southeast-2",
		BaseEndpoint: aws.String(twinSTS),
		Credentials:  awscreds.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, c.SessionToken),
	}
	tok, err := eksauth.NewToken(context.Background(), cfg, cluster, time.Now())
	if err != nil {
		t.Fatalf("eksauth.NewToken: %v", err)
	}
	return tok.Value
}

func verifier(t *testing.T, creds ...credentials.Credential) TokenVerifier {
	return TokenVerifier{STSEndpoints: []string{twinSTS}, Credentials: registry(t, creds...)}
}

func TestVerifyAcceptsThePipelinesToken(t *testing.T) {
	caller, err := verifier(t, deployRoleSession).Verify(token(t, deployRoleSession, "demo-staging"), "demo-staging")
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if caller.Principal.IAMARN() != "arn:aws:iam::222222222222:role/demo-staging-ci-deploy-eks" || caller.Principal.Session != "gha-run-1" ||
		caller.AccessKeyID != deployRoleSession.AccessKeyID || caller.Account != "222222222222" {
		t.Errorf("caller = %+v", caller)
	}
}

func TestVerifyAcceptsALongTermUserKey(t *testing.T) {
	user := credentials.Credential{AccessKeyID: "AKIAEXAMPLEUSER0001", SecretAccessKey: "user-secret",
		Principal: "arn:aws:iam::333333333333:user/ops/alice", Account: "333333333333"}
	caller, err := verifier(t, user).Verify(token(t, user, "demo-production"), "demo-production")
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if caller.Principal.Kind != KindUser || caller.Principal.IAMARN() != "arn:aws:iam::333333333333:user/ops/alice" {
		t.Errorf("caller = %+v", caller.Principal)
	}
}

// rewrite decodes a token, lets edit change its URL, and encodes it again (keeping the signature).
func rewrite(t *testing.T, tok string, edit func(u *url.URL, q url.Values)) string {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(tok, TokenPrefix))
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(string(raw))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	edit(u, q)
	u.RawQuery = q.Encode()
	return TokenPrefix + base64.RawURLEncoding.EncodeToString([]byte(u.String()))
}

func TestVerifyRefuses(t *testing.T) {
	good := token(t, deployRoleSession, "demo-staging")
	expired := deployRoleSession
	expired.Expires = time.Now().Add(-time.Minute)
	otherSecret := deployRoleSession
	otherSecret.SecretAccessKey = "not-the-secret"
	cases := map[string]struct {
		token, cluster string
		v              TokenVerifier
		want           string
	}{
		"no prefix":         {strings.TrimPrefix(good, TokenPrefix), "demo-staging", verifier(t, deployRoleSession), "does not start with k8s-aws-v1."},
		"not base64":        {TokenPrefix + "!!!", "demo-staging", verifier(t, deployRoleSession), "not base64url"},
		"another cluster":   {good, "demo-production", verifier(t, deployRoleSession), "made for another cluster than demo-production"},
		"unknown key":       {good, "demo-staging", verifier(t), "never issued by this twin"},
		"wrong secret":      {good, "demo-staging", verifier(t, otherSecret), "SignatureDoesNotMatch"},
		"expired session":   {good, "demo-staging", verifier(t, expired), "ExpiredToken"},
		"real STS host":     {good, "demo-staging", TokenVerifier{STSEndpoints: []string{"https://sts.amazonaws.com"}, Credentials: registry(t, deployRoleSession)}, "not this twin's STS endpoint"},
		"other action":      {rewrite(t, good, func(_ *url.URL, q url.Values) { q.Set("Action", "AssumeRole") }), "demo-staging", verifier(t, deployRoleSession), `action "AssumeRole"`},
		"extra parameter":   {rewrite(t, good, func(_ *url.URL, q url.Values) { q.Set("RoleArn", "x") }), "demo-staging", verifier(t, deployRoleSession), "parameter RoleArn"},
		"other path":        {rewrite(t, good, func(u *url.URL, _ url.Values) { u.Path = "/admin" }), "demo-staging", verifier(t, deployRoleSession), `path "/admin"`},
		"long expires":      {rewrite(t, good, func(_ *url.URL, q url.Values) { q.Set("X-Amz-Expires", "3600") }), "demo-staging", verifier(t, deployRoleSession), "EKS accepts at most 15m0s"},
		"dropped session":   {rewrite(t, good, func(_ *url.URL, q url.Values) { q.Del("X-Amz-Security-Token") }), "demo-staging", verifier(t, deployRoleSession), "session token"},
		"unsigned cluster":  {rewrite(t, good, func(_ *url.URL, q url.Values) { q.Set("X-Amz-SignedHeaders", "host") }), "demo-staging", verifier(t, deployRoleSession), "does not sign the host and x-k8s-aws-id"},
		"altered signature": {rewrite(t, good, func(_ *url.URL, q url.Values) { q.Set("X-Amz-Signature", strings.Repeat("0", 64)) }), "demo-staging", verifier(t, deployRoleSession), "SignatureDoesNotMatch"},
		"too old": {good, "demo-staging", TokenVerifier{STSEndpoints: []string{twinSTS}, Credentials: registry(t, deployRoleSession),
			Now: func() time.Time { return time.Now().Add(16 * time.Minute) }}, "the token expired"},
		"from the future": {good, "demo-staging", TokenVerifier{STSEndpoints: []string{twinSTS}, Credentials: registry(t, deployRoleSession),
			Now: func() time.Time { return time.Now().Add(-10 * time.Minute) }}, "in the future"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := c.v.Verify(c.token, c.cluster)
			if !errors.Is(err, ErrInvalidToken) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Verify error = %v; want ErrInvalidToken containing %q", err, c.want)
			}
		})
	}
}

func TestVerifyStillAcceptsATokenFourteenMinutesOld(t *testing.T) {
	v := verifier(t, deployRoleSession)
	v.Now = func() time.Time { return time.Now().Add(14 * time.Minute) }
	if _, err := v.Verify(token(t, deployRoleSession, "demo-staging"), "demo-staging"); err != nil {
		t.Fatalf("a token within STS's 15 minutes (X-Amz-Expires=60 is ignored, as STS does): %v", err)
	}
}
