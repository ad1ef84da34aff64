package release

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/random"

	"github.com/platformteam/delivery/internal/fake/awsapi"
	ecsscenario "github.com/platformteam/delivery/internal/fake/ecs/scenario"
	fakekms "github.com/platformteam/delivery/internal/fake/kms"
	"github.com/platformteam/delivery/pkg/artifact"
	"github.com/platformteam/delivery/pkg/awsconfig"
	"github.com/platformteam/delivery/pkg/environment"
	"github.com/platformteam/delivery/pkg/release/api"
	"github.com/platformteam/delivery/pkg/supplychain/provenance"
)

const (
	stagingAccount = "222222222222"
	ciAccount      = "111111111111"
	deployRole     = "arn:aws:iam::222222222222:role/deploy"
	oidcToken      = "github-oidc-token"
)

// rig is an account behind one AWS endpoint: STS, ECR (with an authenticating registry), EKS, and an
// ECS service that completes rollouts.
type rig struct {
	front    *awsapi.Front
	endpoint string
	ecs      *ecsscenario.Server
	kms      *fakekms.KMS
	env      *environment.Environment
}

func newRig(t *testing.T) *rig {
	t.Helper()
	r := &rig{front: &awsapi.Front{
		Users: map[string]awsapi.Identity{
			"AKIDSTAGING": {Account: stagingAccount, ARN: "arn:aws:iam::222222222222:user/deployer"},
			"AKIDCI":      {Account: ciAccount, ARN: "arn:aws:iam::111111111111:user/ci"},
			"AKIDPROC":    {Account: stagingAccount, ARN: "arn:aws:iam::222222222222:user/process"},
			"AKIDPROD":    {Account: "333333333333", ARN: "arn:aws:iam::333333333333:user/deployer"},
		},
		WebIdentityToken: oidcToken,
		ClusterEndpoint:  "https://127.0.0.1:1",
	}}
	reg := httptest.NewServer(r.front.BasicAuthRegistry(registry.New(registry.Logger(log.New(io.Discard, "", 0)))))
	t.Cleanup(reg.Close)
	r.front.RegistryHost = strings.TrimPrefix(reg.URL, "http://")
	r.ecs = ecsscenario.New(nil)
	t.Cleanup(r.ecs.Close)
	if _, err := r.ecs.Seed("demo", "demo-app", 1, `{"family": "demo-app", "containerDefinitions": [{"name": "app", "image": "`+
		"222222222222.dkr.ecr.ap-southeast-2.amazonaws.com/demo-app@sha256:"+strings.Repeat("1", 64)+`"}]}`); err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(r.ecs.URL)
	// KMS (the environment's signing key) and ECS behind the same front.
	r.kms = fakekms.New(stagingAccount, "ap-southeast-2")
	r.kms.CreateSigningKey("alias/demo-app-staging-signing")
	ecsProxy := httputil.NewSingleHostReverseProxy(u)
	r.front.Next = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if strings.HasPrefix(req.Header.Get("X-Amz-Target"), "TrentService.") {
			r.kms.ServeHTTP(w, req)
			return
		}
		ecsProxy.ServeHTTP(w, req)
	})
	srv := httptest.NewServer(r.front)
	t.Cleanup(srv.Close)
	r.endpoint = srv.URL
	r.env = testEnv("staging", stagingAccount)
	r.env.Endpoints.AWS = srv.URL
	r.env.Signing = environment.Signing{Key: "alias/demo-app-staging-signing", Trust: []environment.TrustedKey{{KMS: "alias/demo-app-staging-signing"}}}
	// Nothing from the machine running the test: each case sets exactly its credential form.
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
		"AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_ROLE_SESSION_NAME", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN", awsconfig.EndpointEnv, "KUBECONFIG"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	return r
}

func writeFile(t *testing.T, name, content string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	return p
}

func imageLayout(t *testing.T) string {
	t.Helper()
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "oci")
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendImage(img); err != nil {
		t.Fatal(err)
	}
	return dir
}

// Every way users authenticate reaches every step through the SDK's one credential chain: the account
// guard, the push (ECR login and the registry), the ECS deploy, and the EKS token.
func TestEveryCredentialFormReachesThePushAndTheDeploys(t *testing.T) {
	cases := map[string]struct {
		setup func(t *testing.T, r *rig)
		// first is the call that turns the form into credentials (before the guard).
		first string
	}{
		"static keys and session token": {setup: func(t *testing.T, r *rig) {
			t.Setenv("AWS_ACCESS_KEY_ID", "AKIDSTAGING")
			t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
			t.Setenv("AWS_SESSION_TOKEN", "session")
		}},
		"profile with role chaining (source_profile + role_arn)": {first: "sts:AssumeRole", setup: func(t *testing.T, r *rig) {
			cfg := writeFile(t, "config", "[profile ci]\naws_access_key_id = AKIDCI\naws_secret_access_key = secret\nregion = ap-southeast-2\n"+
				"[profile deploy]\nrole_arn = "+deployRole+"\nsource_profile = ci\nregion = ap-southeast-2\n", 0o600)
			t.Setenv("AWS_CONFIG_FILE", cfg)
			t.Setenv("AWS_SHARED_CREDENTIALS_FILE", cfg)
			t.Setenv("AWS_PROFILE", "deploy")
		}},
		"profile with credential_process": {setup: func(t *testing.T, r *rig) {
			script := writeFile(t, "creds.sh", "#!/bin/sh\necho '{\"Version\": 1, \"AccessKeyId\": \"AKIDPROC\", \"SecretAccessKey\": \"secret\"}'\n", 0o755)
			cfg := writeFile(t, "config", "[profile proc]\ncredential_process = "+script+"\n", 0o600)
			t.Setenv("AWS_CONFIG_FILE", cfg)
			t.Setenv("AWS_PROFILE", "proc")
		}},
		"web identity (GitHub Actions OIDC)": {first: "sts:AssumeRoleWithWebIdentity", setup: func(t *testing.T, r *rig) {
			t.Setenv("AWS_WEB_IDENTITY_TOKEN_FILE", writeFile(t, "token", oidcToken, 0o600))
			t.Setenv("AWS_ROLE_ARN", "arn:aws:iam::222222222222:role/github-deploy")
			t.Setenv("AWS_ROLE_SESSION_NAME", "delivery-staging")
		}},
		"container role (CodeBuild)": {first: "container-credentials", setup: func(t *testing.T, r *rig) {
			creds := httptest.NewServer(r.front.ContainerCredentials("arn:aws:iam::222222222222:role/codebuild", "container-secret"))
			t.Cleanup(creds.Close)
			t.Setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", creds.URL+"/v2/credentials")
			t.Setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "container-secret")
		}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r := newRig(t)
			tc.setup(t, r)
			ctx := context.Background()
			acc := NewAccess(r.env, Connection{}, io.Discard)
			commit, _ := artifact.ParseCommit("abc1234")
			pub, err := PublishAttested(ctx, acc, imageLayout(t), commit, buildRecord(commit), time.Now())
			if err != nil {
				t.Fatalf("push: %v", err)
			}
			if pub.Artifact.Repository() != Repository(r.env) || acc.Identity().Account != stagingAccount {
				t.Fatalf("pushed %s as %+v", pub.Artifact.Ref(), acc.Identity())
			}
			plan, err := For(r.env, pub.Artifact, Options{})
			if err != nil {
				t.Fatal(err)
			}
			r.ecs.Queue(ecsscenario.Completes(1, 200*time.Millisecond))
			res, err := DeployECS(ctx, acc, plan, false)
			if err != nil || res.Outcome != api.Deployed {
				t.Fatalf("ECS deploy: %v (%+v)", err, res)
			}
			cluster, err := acc.Cluster(ctx)
			if err != nil {
				t.Fatalf("EKS access: %v", err)
			}
			rc, err := cluster.ToRESTConfig()
			if err != nil {
				t.Fatal(err)
			}
			tokenKey := presignedKey(t, bearerToken(t, rc.WrapTransport))

			calls := r.front.Calls()
			// Before anything else: the form's own exchange (if any), then the account guard.
			i := 0
			if tc.first != "" {
				if calls[0].Action != tc.first {
					t.Fatalf("first call %s, want %s: %v", calls[0].Action, tc.first, calls)
				}
				i = 1
			}
			if calls[i].Action != "sts:GetCallerIdentity" {
				t.Fatalf("the account guard must come before every other call: %v", calls)
			}
			key := calls[i].AccessKey
			id, ok := r.front.Identity(key)
			if !ok || id.Account != stagingAccount {
				t.Fatalf("the guard was signed by %s (%+v)", key, id)
			}
			seen := map[string]bool{}
			for _, c := range calls[i:] {
				seen[strings.SplitN(c.Action, ":", 2)[0]] = true
				if c.AccessKey != key {
					t.Errorf("%s was signed by %s, not by the same credentials as the guard (%s)", c.Action, c.AccessKey, key)
				}
			}
			if r.kms.Calls["Sign"] != 3 || r.kms.Calls["GetPublicKey"] < 2 {
				t.Errorf("the push signs (3 Sign calls) and the deploy gate reads the key: %v", r.kms.Calls)
			}
			for _, service := range []string{"sts", "ecr", "registry", "ecs", "eks"} {
				if !seen[service] {
					t.Errorf("no %s call was made: %v", service, calls)
				}
			}
			if tokenKey != key {
				t.Errorf("the EKS token was presigned by %s, not %s", tokenKey, key)
			}
		})
	}
}

// bearerToken is the token a request to the cluster carries.
func bearerToken(t *testing.T, wrap func(http.RoundTripper) http.RoundTripper) string {
	t.Helper()
	if wrap == nil {
		t.Fatal("EKS access must attach a refreshing token to every request")
	}
	var got string
	capture := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		got = strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		return &http.Response{StatusCode: http.StatusOK, Body: io.NopCloser(strings.NewReader("{}")), Request: r}, nil
	})
	req, _ := http.NewRequest(http.MethodGet, "https://127.0.0.1:1/version", nil)
	if _, err := wrap(capture).RoundTrip(req); err != nil {
		t.Fatal(err)
	}
	return got
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// presignedKey is the access key a k8s-aws-v1 token's presigned GetCallerIdentity URL is signed with.
func presignedKey(t *testing.T, token string) string {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(token, "k8s-aws-v1."))
	if err != nil {
		t.Fatalf("EKS token %q: %v", token, err)
	}
	u, err := url.Parse(string(raw))
	if err != nil {
		t.Fatal(err)
	}
	return strings.SplitN(u.Query().Get("X-Amz-Credential"), "/", 2)[0]
}

// The guard refuses another account's credentials before any other call: nothing is pushed, nothing
// is deployed.
func TestAnotherAccountsCredentialsChangeNothing(t *testing.T) {
	r := newRig(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDPROD")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	acc := NewAccess(r.env, Connection{}, io.Discard)
	commit, _ := artifact.ParseCommit("abc1234")
	_, err := Publish(context.Background(), acc, imageLayout(t), commit, time.Now())
	var mismatch *awsconfig.AccountMismatchError
	if !errors.As(err, &mismatch) || mismatch.Got.Account != "333333333333" || mismatch.Want != stagingAccount {
		t.Fatalf("want an account mismatch, got %v", err)
	}
	plan, _ := For(r.env, testArtifact(t, Repository(r.env), digestA), Options{})
	if _, err := DeployECS(context.Background(), NewAccess(r.env, Connection{}, io.Discard), plan, false); !errors.As(err, &mismatch) {
		t.Fatalf("the deploy is refused too: %v", err)
	}
	for _, c := range r.front.Calls() {
		if c.Action != "sts:GetCallerIdentity" {
			t.Fatalf("only the guard may run, saw %v", r.front.Calls())
		}
	}
	if r.ecs.Calls("UpdateService")+r.ecs.Calls("RegisterTaskDefinition") != 0 {
		t.Fatal("nothing may change in ECS")
	}
}

// The ECR login happens once per command, whatever uses the registry afterwards.
func TestOneECRLoginPerAccess(t *testing.T) {
	r := newRig(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDSTAGING")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	acc := NewAccess(r.env, Connection{}, io.Discard)
	commit, _ := artifact.ParseCommit("abc1234")
	for range 2 {
		if _, err := Publish(context.Background(), acc, imageLayout(t), commit, time.Now()); err != nil && !strings.Contains(err.Error(), "immutable") {
			t.Fatal(err)
		}
	}
	n := 0
	for _, c := range r.front.Calls() {
		if c.Action == "ecr:GetAuthorizationToken" {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d ECR logins, want 1", n)
	}
}

// An override of the region (dagger call --region) reaches every call and the registry's name.
func TestRegionOverrideReachesEveryCall(t *testing.T) {
	r := newRig(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDSTAGING")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	r.env.Region = "eu-west-1" // what the Dagger module's --region does to the resolved environment
	acc := NewAccess(r.env, Connection{}, io.Discard)
	commit, _ := artifact.ParseCommit("abc1234")
	pub, err := PublishAttested(context.Background(), acc, imageLayout(t), commit, buildRecord(commit), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if pub.Artifact.Image.Registry() != "222222222222.dkr.ecr.eu-west-1.amazonaws.com" {
		t.Fatalf("the artifact names the registry of the overridden region: %s", pub.Artifact.Ref())
	}
	plan, _ := For(r.env, pub.Artifact, Options{})
	r.ecs.Queue(ecsscenario.Completes(1, 200*time.Millisecond))
	if _, err := DeployECS(context.Background(), acc, plan, false); err != nil {
		t.Fatal(err)
	}
	if _, err := acc.Cluster(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, c := range r.front.Calls() {
		if !strings.HasPrefix(c.Action, "registry:") && c.AccessKey != "" && c.Region != "eu-west-1" {
			t.Errorf("%s was signed for %s, not the overridden region", c.Action, c.Region)
		}
	}
}

var _ http.Handler = (*awsapi.Front)(nil)

// buildRecord is the build record the Dagger module hands over (a random image has no Go binary, so
// it names the Go version itself).
func buildRecord(commit artifact.Commit) provenance.Build {
	now := time.Now().UTC()
	return provenance.Build{Commit: commit.String(), Environment: "staging", Context: "app", Dockerfile: "Dockerfile", GoVersion: "go1.26.0",
		BaseImages: []provenance.BaseImage{{Role: "runtime", Ref: "scratch"}}, DaggerEngine: "v0.19.10", DaggerModule: "delivery",
		StartedOn: now, FinishedOn: now}
}
