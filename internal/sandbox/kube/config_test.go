package kube

import (
	"bytes"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/platformteam/delivery/internal/sandbox/kube/kwokstages"
)

func TestEtcdListensOnLoopbackOnly(t *testing.T) {
	for _, arg := range etcdArgs("/data") {
		if strings.Contains(arg, "://") && !strings.Contains(arg, "127.0.0.1") {
			t.Errorf("etcd flag %s is not on loopback", arg)
		}
	}
}

func TestKubeComponentArgs(t *testing.T) {
	c := Cluster{Dir: "/repo/.sandbox/kube"}
	pki := c.pki()
	api := strings.Join(apiServerArgs(pki), " ")
	for _, want := range []string{"--authorization-mode=RBAC", "--token-auth-file=", "--service-account-key-file=", "--bind-address=127.0.0.1", "--secure-port=6443", "--endpoint-reconciler-type=none", "TaintNodesByCondition"} {
		if !strings.Contains(api, want) {
			t.Errorf("apiserver args lack %s", want)
		}
	}
	cm := strings.Join(c.controllerManagerArgs(pki), " ")
	for _, want := range []string{"deployment-controller", "replicaset-controller", "serviceaccount-token-controller", "--leader-elect=false", "--bind-address=127.0.0.1"} {
		if !strings.Contains(cm, want) {
			t.Errorf("controller-manager args lack %s", want)
		}
	}
	if !strings.Contains(strings.Join(c.schedulerArgs(), " "), "--bind-address=127.0.0.1") {
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

func TestKubeVersionStamp(t *testing.T) {
	flags := kubeVersionLDFlags("v1.37.2")
	for _, want := range []string{"version.gitVersion=v1.37.2", "version.gitMajor=1", "version.gitMinor=37"} {
		if !strings.Contains(flags, want) {
			t.Errorf("ldflags %q lack %q", flags, want)
		}
	}
}
