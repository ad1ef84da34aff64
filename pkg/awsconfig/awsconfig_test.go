package awsconfig

import (
	"context"
	"strings"
	"testing"

	"github.com/platformteam/delivery/pkg/environment"
)

func env(aws string, production bool) *environment.Environment {
	return &environment.Environment{Name: "local", Region: "ap-southeast-2", Production: production,
		Endpoints: environment.Endpoints{AWS: aws}}
}

func getenv(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestEndpointPrecedence(t *testing.T) {
	cases := []struct {
		name, flag, envVar, file, want string
	}{
		{"none", "", "", "", ""},
		{"file", "", "", "http://127.0.0.1:4566", "http://127.0.0.1:4566"},
		{"env var wins over file", "", "http://moto:4566/", "http://127.0.0.1:4566", "http://moto:4566"},
		{"flag wins over all", "http://127.0.0.1:9999", "http://moto:4566", "http://127.0.0.1:4566", "http://127.0.0.1:9999"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Endpoint(env(tc.file, false), tc.flag, getenv(map[string]string{EndpointEnv: tc.envVar}))
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestEndpointRejectsBadInput(t *testing.T) {
	if _, err := Endpoint(env("127.0.0.1:4566", false), "", getenv(nil)); err == nil || !strings.Contains(err.Error(), "absolute http(s) URL") {
		t.Fatalf("want URL error, got %v", err)
	}
	if _, err := Endpoint(env("", true), "", getenv(map[string]string{EndpointEnv: "http://127.0.0.1:4566"})); err == nil || !strings.Contains(err.Error(), "production") {
		t.Fatalf("want production refusal, got %v", err)
	}
}

func TestLoadSetsRegionEndpointAndSandboxCredentials(t *testing.T) {
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
	cfg, err := Load(context.Background(), env("http://127.0.0.1:4566", false), Options{Getenv: getenv(nil)})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Region != "ap-southeast-2" || cfg.BaseEndpoint == nil || *cfg.BaseEndpoint != "http://127.0.0.1:4566" {
		t.Fatalf("region %q endpoint %v", cfg.Region, cfg.BaseEndpoint)
	}
	if err := CheckCredentials(context.Background(), cfg); err != nil {
		t.Fatalf("sandbox credentials: %v", err)
	}
	creds, _ := cfg.Credentials.Retrieve(context.Background())
	if creds.AccessKeyID != sandboxAccessKey {
		t.Fatalf("access key %q", creds.AccessKeyID)
	}
}

func TestLoadRealAWSKeepsDefaultChain(t *testing.T) {
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv(EndpointEnv, "")
	cfg, err := Load(context.Background(), env("", false), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.BaseEndpoint != nil {
		t.Fatalf("real AWS must have no endpoint override, got %q", *cfg.BaseEndpoint)
	}
	creds, err := cfg.Credentials.Retrieve(context.Background())
	if err != nil || creds.AccessKeyID != "AKIDEXAMPLE" {
		t.Fatalf("default chain not used: %+v %v", creds, err)
	}
}
