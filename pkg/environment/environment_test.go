package environment

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const good = `
account_id: "123456789012"
region: ap-southeast-2
image: {repository: demo-app}
ecs: {cluster: demo, service: demo-app}
eks: {cluster: demo, namespace: demo, release: demo-app, chart: charts/demo-app, values_files: [charts/demo-app/values-staging.yaml], timeout: 90s}
`

func writeEnv(t *testing.T, root, name, body string, backend bool) {
	t.Helper()
	dir := filepath.Join(root, Dir, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, FileName), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	if backend {
		if err := os.WriteFile(filepath.Join(dir, "backend.hcl"), []byte("bucket = \"x\"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLoadAppliesDefaults(t *testing.T) {
	root := t.TempDir()
	writeEnv(t, root, "staging", good, true)
	env, err := Load(root, "staging")
	if err != nil {
		t.Fatal(err)
	}
	if env.Name != "staging" || env.Terraform.Binary != "terraform" || env.Terraform.Parallelism != 4 || env.Image.Context != "app" {
		t.Fatalf("defaults not applied: %+v", env)
	}
	if env.EKS.Timeout.Duration != 90*time.Second || env.ECS.Timeout.Duration != 10*time.Minute {
		t.Fatalf("timeouts: eks %v ecs %v", env.EKS.Timeout, env.ECS.Timeout)
	}
	if got := env.StateKey("shared/vpc"); got != "staging/shared/vpc/terraform.tfstate" {
		t.Fatalf("state key %q", got)
	}
	if env.Local() {
		t.Fatal("staging must not be local")
	}
}

func TestLoadUnknownEnvironmentListsKnownOnes(t *testing.T) {
	root := t.TempDir()
	writeEnv(t, root, "staging", good, true)
	writeEnv(t, root, "production", good, true)
	_, err := Load(root, "stagin")
	if err == nil || !strings.Contains(err.Error(), `unknown environment "stagin"`) || !strings.Contains(err.Error(), "production, staging") {
		t.Fatalf("want unknown-environment error listing known ones, got %v", err)
	}
}

func TestLoadRejectsBadInput(t *testing.T) {
	cases := map[string]struct {
		body    string
		backend bool
		want    string
	}{
		"missing backend": {good, false, "no backend.hcl"},
		"unknown key":     {good + "colour: blue\n", true, "colour"},
		"bad account":     {strings.Replace(good, `"123456789012"`, `"12"`, 1), true, "account_id"},
		"bad region":      {strings.Replace(good, "ap-southeast-2", "sydney", 1), true, "region"},
		"missing service": {strings.Replace(good, "service: demo-app", "service: ''", 1), true, "ecs.service is required"},
		"bad duration":    {strings.Replace(good, "90s", "ninety", 1), true, "invalid duration"},
		"escaping path":   {strings.Replace(good, "chart: charts/demo-app", "chart: ../elsewhere", 1), true, "stay inside"},
		"wrong name":      {"name: prod\n" + good, true, "does not match"},
		"bad binary":      {good + "terraform: {binary: pulumi}\n", true, "terraform or tofu"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			root := t.TempDir()
			writeEnv(t, root, "staging", tc.body, tc.backend)
			_, err := Load(root, "staging")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want error containing %q, got %v", tc.want, err)
			}
		})
	}
}

func TestLoadRejectsInvalidName(t *testing.T) {
	if _, err := Load(t.TempDir(), "../etc"); err == nil || !strings.Contains(err.Error(), "invalid") {
		t.Fatalf("want invalid-name error, got %v", err)
	}
}
