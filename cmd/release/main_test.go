package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	ecsscenario "github.com/platformteam/delivery/internal/fake/ecs/scenario"
	"github.com/platformteam/delivery/pkg/artifact"
)

const taskDef = `{"family": "demo-app", "containerDefinitions": [{"name": "app", "image": "127.0.0.1:5000/demo-app@sha256:1111111111111111111111111111111111111111111111111111111111111111"}]}`

// cliRoot writes a repository root with one environment pointing at the given AWS endpoint.
func cliRoot(t *testing.T, awsEndpoint string) (string, string) {
	t.Helper()
	root := t.TempDir()
	dir := filepath.Join(root, "environments", "test")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "backend.hcl"), []byte("bucket = \"x\"\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "delivery.yaml"), []byte(`
account_id: "123456789012"
region: ap-southeast-2
image: {repository: demo-app}
ecs: {cluster: demo, service: demo-app, container: app, timeout: 1m}
eks: {cluster: demo, namespace: demo, release: demo-app, chart: charts/demo-app}
endpoints: {aws: "`+awsEndpoint+`", registry: "127.0.0.1:5000"}
`), 0o644)
	art := filepath.Join(root, "artifact.json")
	err := artifact.Write(art, &artifact.Artifact{CommitSHA: "abc1234", Image: "127.0.0.1:5000/demo-app",
		Digest: "sha256:2222222222222222222222222222222222222222222222222222222222222222", BuildVersion: "abc1234", Created: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	return root, art
}

func TestExitCodesOfECSDeploy(t *testing.T) {
	t.Setenv("AWS_ENDPOINT_URL", "")
	cases := []struct {
		name   string
		script ecsscenario.Script
		extra  []string
		want   int
	}{
		{"completes", ecsscenario.Completes(1, 300*time.Millisecond), nil, exitOK},
		{"breaker, restored", ecsscenario.BreakerTrips(1, 1500*time.Millisecond), nil, exitRolledBack},
		{"breaker, --no-rollback", ecsscenario.BreakerTrips(1, 1500*time.Millisecond), []string{"--no-rollback"}, exitNotRolledBack},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := ecsscenario.New(nil)
			defer srv.Close()
			if _, err := srv.Seed("demo", "demo-app", 1, taskDef); err != nil {
				t.Fatal(err)
			}
			srv.Queue(tc.script)
			root, art := cliRoot(t, srv.URL)
			args := append([]string{"ecs", "deploy", "--env", "test", "--root", root, "--artifact", art, "--json"}, tc.extra...)
			if got := run(context.Background(), args); got != tc.want {
				t.Fatalf("exit code %d, want %d", got, tc.want)
			}
		})
	}
}

func TestExitCodesOfBadInput(t *testing.T) {
	root, art := cliRoot(t, "http://127.0.0.1:1")
	cases := map[string]struct {
		args []string
		want int
	}{
		"unknown command":  {[]string{"ecs", "launch"}, exitUsage},
		"missing env":      {[]string{"ecs", "diff"}, exitUsage},
		"bad flag":         {[]string{"ecs", "diff", "--env", "test", "--bogus"}, exitUsage},
		"missing artifact": {[]string{"ecs", "diff", "--env", "test", "--root", root, "--artifact", filepath.Join(root, "nope.json")}, exitFailed},
		"unknown env":      {[]string{"ecs", "diff", "--env", "prod", "--root", root, "--artifact", art}, exitFailed},
		"show artifact":    {[]string{"artifact", "show", "--artifact", art}, exitOK},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := run(context.Background(), tc.args); got != tc.want {
				t.Fatalf("exit code %d, want %d", got, tc.want)
			}
		})
	}
}
