package sigv4_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/platformteam/delivery/internal/sandbox/awsfront/credentials"
	"github.com/platformteam/delivery/internal/sandbox/awsfront/sigv4"
)

var (
	now  = time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	user = credentials.Credential{AccessKeyID: "AKIAEXAMPLEUSER0001", SecretAccessKey: "user/secret+key", Principal: "arn:aws:iam::222222222222:user/admin", Account: "222222222222"}
	role = credentials.Credential{AccessKeyID: "ASIAEXAMPLEROLE0001", SecretAccessKey: "role-secret", SessionToken: "session-token-1",
		Principal: "arn:aws:sts::222222222222:assumed-role/deploy/ci", Account: "222222222222", Expires: now.Add(time.Hour)}
)

func registry(t *testing.T) *credentials.Registry {
	t.Helper()
	r := credentials.New()
	for _, c := range []credentials.Credential{user, role} {
		if err := r.Add(c); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

// received runs req through a real HTTP server and returns the request as the server parsed it.
func received(t *testing.T, req *http.Request) (*http.Request, []byte) {
	t.Helper()
	var got *http.Request
	var body []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ = io.ReadAll(r.Body)
		got = r
	}))
	defer srv.Close()
	u := *req.URL
	u.Scheme, u.Host = "http", strings.TrimPrefix(srv.URL, "http://")
	out := req.Clone(context.Background())
	out.URL = &u
	out.RequestURI = ""
	if req.Body != nil {
		b, _ := io.ReadAll(req.Body)
		out.Body = io.NopCloser(bytes.NewReader(b))
	}
	// The signature covers the Host the client signed (the sandbox's loopback address).
	out.Host = req.Host
	resp, err := http.DefaultClient.Do(out)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return got, body
}

func hashOf(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func sign(t *testing.T, c credentials.Credential, req *http.Request, body []byte, service string, at time.Time, s3 bool) {
	t.Helper()
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = s3 })
	hash := hashOf(body)
	if s3 {
		hash = sigv4.UnsignedPayload
		req.Header.Set("X-Amz-Content-Sha256", hash)
	}
	creds := aws.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken}
	if err := signer.SignHTTP(context.Background(), creds, req, hash, service, "ap-southeast-2", at); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyHeaderSignedRequests(t *testing.T) {
	reg := registry(t)
	cases := []struct {
		name    string
		cred    credentials.Credential
		method  string
		url     string
		body    string
		service string
		s3      bool
	}{
		{"json protocol", user, "POST", "http://127.0.0.1:4566/", `{"cluster":"demo-staging","services":["demo-app"]}`, "ecs", false},
		{"query protocol with session token", role, "POST", "http://127.0.0.1:4566/", "Action=GetCallerIdentity&Version=2011-06-15", "sts", false},
		{"rest path", role, "GET", "http://127.0.0.1:4566/clusters/demo-staging", "", "eks", false},
		{"s3 key with escapes and query", user, "PUT", "http://127.0.0.1:4566/tf-state/staging/a%20b%2Bc.tfstate?x-id=PutObject", "state", "s3", true},
		{"query values sorted after encoding", user, "GET", "http://127.0.0.1:4566/bucket?prefix=a%2Fb&delimiter=a-b&list-type=2", "", "s3", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, tc.url, strings.NewReader(tc.body))
			if tc.body == "" {
				req.Body = nil
				req.ContentLength = 0
			}
			req.Header.Set("X-Amz-Target", "AmazonEC2ContainerServiceV20141113.DescribeServices")
			sign(t, tc.cred, req, []byte(tc.body), tc.service, now, tc.s3)
			got, body := received(t, req)
			cred, a, err := sigv4.Verify(got, body, reg, now.Add(time.Minute))
			if err != nil {
				t.Fatalf("a request the SDK signed was refused: %v", err)
			}
			if cred.Principal != tc.cred.Principal || a.Service != tc.service || a.Region != "ap-southeast-2" {
				t.Errorf("verified as %s (%s/%s), want %s (%s)", cred.Principal, a.Service, a.Region, tc.cred.Principal, tc.service)
			}
		})
	}
}

func TestVerifyRefusals(t *testing.T) {
	reg := registry(t)
	unknown := credentials.Credential{AccessKeyID: "AKIAINVENTED", SecretAccessKey: "x"}
	wrongSecret := user
	wrongSecret.SecretAccessKey = "not-the-secret"
	noToken := role
	noToken.SessionToken = ""
	cases := []struct {
		name   string
		cred   credentials.Credential
		at     time.Time
		tamper func(*http.Request)
		code   string
	}{
		{"key moto did not issue", unknown, now, nil, "InvalidClientTokenId"},
		{"wrong secret", wrongSecret, now, nil, "SignatureDoesNotMatch"},
		{"temporary key without its session token", noToken, now, nil, "InvalidClientTokenId"},
		{"expired session", role, now.Add(2 * time.Hour), nil, "ExpiredToken"},
		{"signed too long ago", user, now.Add(-20 * time.Minute), nil, "SignatureExpired"},
		{"signed header changed", user, now, func(r *http.Request) {
			r.Header.Set("X-Amz-Target", "AmazonEC2ContainerServiceV20141113.UpdateService")
		}, "SignatureDoesNotMatch"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body := []byte(`{}`)
			req, _ := http.NewRequest("POST", "http://127.0.0.1:4566/", bytes.NewReader(body))
			req.Header.Set("X-Amz-Target", "AmazonEC2ContainerServiceV20141113.DescribeServices")
			sign(t, tc.cred, req, body, "ecs", tc.at, false)
			if tc.tamper != nil {
				tc.tamper(req)
			}
			got, b := received(t, req)
			clock := now
			if tc.code == "ExpiredToken" {
				clock = tc.at
			}
			_, _, err := sigv4.Verify(got, b, reg, clock)
			e, ok := sigv4.AsError(err)
			if !ok || e.Code != tc.code {
				t.Fatalf("got %v, want %s", err, tc.code)
			}
		})
	}
	t.Run("unsigned", func(t *testing.T) {
		req := httptest.NewRequest("POST", "http://127.0.0.1:4566/", strings.NewReader("Action=GetCallerIdentity"))
		if _, _, err := sigv4.Verify(req, nil, reg, now); err != sigv4.ErrUnsigned {
			t.Fatalf("got %v, want ErrUnsigned", err)
		}
	})
}

// TestVerifyPresigned covers the EKS token shape: a presigned STS GetCallerIdentity with the
// x-k8s-aws-id header signed, checked within X-Amz-Expires.
func TestVerifyPresigned(t *testing.T) {
	reg := registry(t)
	req, _ := http.NewRequest("GET", "http://127.0.0.1:4566/?Action=GetCallerIdentity&Version=2011-06-15", nil)
	req.Header.Set("x-k8s-aws-id", "demo-staging")
	req.Header.Set("X-Amz-Expires", "60")
	creds := aws.Credentials{AccessKeyID: role.AccessKeyID, SecretAccessKey: role.SecretAccessKey, SessionToken: role.SessionToken}
	u, _, err := v4.NewSigner().PresignHTTP(context.Background(), creds, req, hashOf(nil), "sts", "ap-southeast-2", now)
	if err != nil {
		t.Fatal(err)
	}
	check := func(cluster string, at time.Time) error {
		r, _ := http.NewRequest("GET", u, nil)
		r.Header.Set("x-k8s-aws-id", cluster)
		_, _, err := sigv4.Verify(r, nil, reg, at)
		return err
	}
	if err := check("demo-staging", now.Add(30*time.Second)); err != nil {
		t.Fatalf("valid presigned URL refused: %v", err)
	}
	if e, _ := sigv4.AsError(check("demo-production", now.Add(30*time.Second))); e == nil || e.Code != "SignatureDoesNotMatch" {
		t.Errorf("a token for another cluster: got %v, want SignatureDoesNotMatch", e)
	}
	if e, _ := sigv4.AsError(check("demo-staging", now.Add(61*time.Second))); e == nil || e.Code != "RequestExpired" {
		t.Errorf("after X-Amz-Expires: got %v, want RequestExpired", e)
	}
}

func TestRoleARNOf(t *testing.T) {
	for in, want := range map[string]string{
		"arn:aws:sts::222222222222:assumed-role/deploy/ci": "arn:aws:iam::222222222222:role/deploy",
		"arn:aws:iam::222222222222:user/admin":             "",
		"arn:aws:sts::222222222222:federated-user/x":       "",
	} {
		if got := credentials.RoleARNOf(in); got != want {
			t.Errorf("RoleARNOf(%s) = %q, want %q", in, got, want)
		}
	}
}
