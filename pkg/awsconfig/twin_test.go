package awsconfig

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/platformteam/delivery/pkg/addrmap"
	"github.com/platformteam/delivery/pkg/environment"
)

func twinOf(e *environment.Environment) *environment.Twin {
	return &environment.Twin{Environment: e.Name, AccountID: e.AccountID, Region: e.Region, AWS: "http://127.0.0.1:4566",
		Registry: "127.0.0.1:5003", ECRHost: e.AccountID + ".dkr.ecr." + e.Region + ".amazonaws.com"}
}

// TestTwinEndpoint: a twin declaration points even a production environment at its endpoint (it is an
// explicit declaration), refuses every ambient override beside it, and never invents credentials.
func TestTwinEndpoint(t *testing.T) {
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
	prod := &environment.Environment{Name: "production", AccountID: "333333333333", Region: "ap-southeast-2", Production: true}
	keys := getenv(map[string]string{"AWS_ACCESS_KEY_ID": "AKIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "x"})
	cfg, err := Load(context.Background(), prod, Options{Twin: twinOf(prod), Getenv: keys})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.BaseEndpoint == nil || *cfg.BaseEndpoint != "http://127.0.0.1:4566" {
		t.Fatalf("endpoint %v, want the twin's", cfg.BaseEndpoint)
	}
	if _, err := Load(context.Background(), prod, Options{Twin: twinOf(prod), Getenv: getenv(map[string]string{EndpointEnv: "http://127.0.0.1:9"})}); err == nil ||
		!strings.Contains(err.Error(), "refusing the other AWS endpoint") {
		t.Errorf("an ambient endpoint beside the twin: %v", err)
	}
	other := twinOf(prod)
	other.AccountID = "222222222222"
	if _, err := Load(context.Background(), prod, Options{Twin: other, Getenv: keys}); err == nil || !strings.Contains(err.Error(), "account 222222222222") {
		t.Errorf("another account's twin: %v", err)
	}
	cfg, err = Load(context.Background(), prod, Options{Twin: twinOf(prod), Getenv: getenv(nil)})
	if err == nil {
		if creds, err := cfg.Credentials.Retrieve(context.Background()); err == nil && creds.AccessKeyID == sandboxAccessKey {
			t.Error("a twin run got the sandbox's invented credentials")
		}
	}
}

// TestDialReachesTheMappedAddress: the SDK's calls go to the mapped address while the endpoint URL
// (and so the signature's host) stays the declared one.
func TestDialReachesTheMappedAddress(t *testing.T) {
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
	var host string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host = r.Host
		w.Header().Set("Content-Type", "text/xml")
		_, _ = w.Write([]byte(`<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:iam::333333333333:user/x</Arn><UserId>x</UserId><Account>333333333333</Account></GetCallerIdentityResult></GetCallerIdentityResponse>`))
	}))
	defer srv.Close()
	prod := &environment.Environment{Name: "production", AccountID: "333333333333", Region: "ap-southeast-2", Production: true}
	keys := getenv(map[string]string{"AWS_ACCESS_KEY_ID": "AKIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "x"})
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "x")
	cfg, err := Load(context.Background(), prod, Options{Twin: twinOf(prod), Getenv: keys,
		Dial: addrmap.Map{"127.0.0.1:4566": strings.TrimPrefix(srv.URL, "http://")}})
	if err != nil {
		t.Fatal(err)
	}
	out, err := sts.NewFromConfig(cfg).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if *out.Account != "333333333333" || host != "127.0.0.1:4566" {
		t.Errorf("account %s, Host header %q: want the declared endpoint's name", *out.Account, host)
	}
}
