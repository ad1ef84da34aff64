package sandbox

import (
	"bytes"
	"strings"
	"testing"

	"github.com/platformteam/delivery/pkg/environment"
	"github.com/platformteam/delivery/pkg/sandbox/kwokstages"
	"sigs.k8s.io/yaml"
)

func TestRegistryConfig(t *testing.T) {
	var cfg struct {
		Storage struct {
			Filesystem struct {
				RootDirectory string `json:"rootdirectory"`
			} `json:"filesystem"`
			Delete struct {
				Enabled bool `json:"enabled"`
			} `json:"delete"`
		} `json:"storage"`
		HTTP struct {
			Addr string `json:"addr"`
		} `json:"http"`
	}
	if err := yaml.Unmarshal(renderRegistryConfig("/state/registry/data dir"), &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.HTTP.Addr != "127.0.0.1:5000" || cfg.Storage.Filesystem.RootDirectory != "/state/registry/data dir" || !cfg.Storage.Delete.Enabled {
		t.Errorf("registry config = %+v", cfg)
	}
}

func TestEtcdListensOnLoopbackOnly(t *testing.T) {
	for _, arg := range etcdArgs("/data") {
		if strings.Contains(arg, "://") && !strings.Contains(arg, "127.0.0.1") {
			t.Errorf("etcd flag %s is not on loopback", arg)
		}
	}
}

func TestKubeComponentArgs(t *testing.T) {
	l, _ := NewLayout("/repo", "", "")
	pki := kubePKI{dir: "/repo/.sandbox/kube/pki"}
	api := strings.Join(apiServerArgs(pki), " ")
	for _, want := range []string{"--authorization-mode=RBAC", "--token-auth-file=", "--service-account-key-file=", "--bind-address=127.0.0.1", "--secure-port=6443", "--endpoint-reconciler-type=none", "TaintNodesByCondition"} {
		if !strings.Contains(api, want) {
			t.Errorf("apiserver args lack %s", want)
		}
	}
	cm := strings.Join(controllerManagerArgs(l, pki), " ")
	for _, want := range []string{"deployment-controller", "replicaset-controller", "serviceaccount-token-controller", "--leader-elect=false", "--bind-address=127.0.0.1"} {
		if !strings.Contains(cm, want) {
			t.Errorf("controller-manager args lack %s", want)
		}
	}
	if !strings.Contains(strings.Join(schedulerArgs(l), " "), "--bind-address=127.0.0.1") {
		t.Error("scheduler is not bound to loopback")
	}
}

// The stages file must be valid kwok Stage documents with unique names, covering nodes and pods.
func TestKwokStagesParse(t *testing.T) {
	type stage struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name string `json:"name"`
		} `json:"metadata"`
		Spec struct {
			ResourceRef struct {
				Kind string `json:"kind"`
			} `json:"resourceRef"`
			Selector struct {
				MatchExpressions []struct {
					Key      string   `json:"key"`
					Operator string   `json:"operator"`
					Values   []string `json:"values"`
				} `json:"matchExpressions"`
			} `json:"selector"`
		} `json:"spec"`
	}
	names := map[string]bool{}
	kinds := map[string]int{}
	for _, doc := range bytes.Split(kwokstages.YAML, []byte("\n---\n")) {
		var s stage
		if err := yaml.UnmarshalStrict(doc, &s); err != nil {
			// Strict decoding of the subset we model would fail on other fields; decode leniently.
			if err := yaml.Unmarshal(doc, &s); err != nil {
				t.Fatalf("stage document does not parse: %v\n%s", err, doc)
			}
		}
		if s.Kind == "" {
			continue // the leading comment block
		}
		if s.APIVersion != "kwok.x-k8s.io/v1alpha1" || s.Kind != "Stage" || s.Metadata.Name == "" {
			t.Errorf("bad stage header: %+v", s)
		}
		if names[s.Metadata.Name] {
			t.Errorf("duplicate stage %s", s.Metadata.Name)
		}
		names[s.Metadata.Name] = true
		kinds[s.Spec.ResourceRef.Kind]++
		for _, e := range s.Spec.Selector.MatchExpressions {
			switch e.Operator {
			case "In", "NotIn":
				if len(e.Values) == 0 {
					t.Errorf("%s: %s needs values", s.Metadata.Name, e.Operator)
				}
			case "Exists", "DoesNotExist":
				if len(e.Values) != 0 {
					t.Errorf("%s: %s takes no values", s.Metadata.Name, e.Operator)
				}
			default:
				t.Errorf("%s: unknown operator %s", s.Metadata.Name, e.Operator)
			}
		}
	}
	if kinds["Node"] == 0 || kinds["Pod"] < 4 {
		t.Errorf("stages per kind = %v, want node and pod stages", kinds)
	}
	if !strings.Contains(string(kwokstages.YAML), kwokstages.PullFailMarker) {
		t.Error("stages do not mention the pull-fail marker")
	}
}

func TestSeededTaskDefinitionIsRealistic(t *testing.T) {
	env := &environment.Environment{Name: "local", AccountID: "123456789012", Region: "ap-southeast-2",
		Image: environment.Image{Repository: "demo-app"},
		ECS:   environment.ECS{Cluster: "demo-local", Service: "demo-app", Container: "app"}}
	n := newSeedNames(env)
	in := taskDefinitionInput(n)
	if *in.Family != "demo-app" || string(in.NetworkMode) != "awsvpc" || len(in.ContainerDefinitions) != 1 {
		t.Fatalf("task definition: family %s, network %s, %d containers", *in.Family, in.NetworkMode, len(in.ContainerDefinitions))
	}
	c := in.ContainerDefinitions[0]
	if *c.Name != "app" || !strings.HasPrefix(*c.Image, "127.0.0.1:5000/demo-app:") {
		t.Errorf("container %s image %s", *c.Name, *c.Image)
	}
	if len(c.Secrets) != 1 || *c.Secrets[0].ValueFrom != "arn:aws:ssm:ap-southeast-2:123456789012:parameter/demo-app/local/api-token" {
		t.Errorf("secrets = %+v", c.Secrets)
	}
	if *in.ExecutionRoleArn != "arn:aws:iam::123456789012:role/demo-app-local-ecs-execution" || in.TaskRoleArn == nil {
		t.Errorf("roles = %s / %v", *in.ExecutionRoleArn, in.TaskRoleArn)
	}
	if c.LogConfiguration == nil || c.LogConfiguration.Options["awslogs-group"] != "/ecs/demo-app-local" {
		t.Errorf("log configuration = %+v", c.LogConfiguration)
	}
	if StateBucketName("123456789012", "ap-southeast-2") != "tf-state-123456789012-ap-southeast-2" {
		t.Error("state bucket name does not follow tf-state-<account>-<region>")
	}
}
