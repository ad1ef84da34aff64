package kube

import (
	"bytes"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/platformteam/delivery/internal/sandbox/kube/kwokstages"
	"github.com/platformteam/delivery/internal/sandbox/proc"
)

func TestEtcdListensOnLoopbackOnly(t *testing.T) {
	for _, arg := range etcdArgs("/data") {
		if strings.Contains(arg, "://") && !strings.Contains(arg, "127.0.0.1") {
			t.Errorf("etcd flag %s is not on loopback", arg)
		}
	}
}

func TestKubeComponentArgs(t *testing.T) {
	c := Cluster{Name: "demo-local", Primary: true, Ports: PortsOf(0), Dir: "/repo/.sandbox/kube",
		TokenWebhook: "http://127.0.0.1:4566/_twin/eks/token-review/123456789012/ap-southeast-2/demo-local"}
	pki := c.pki()
	api := strings.Join(c.apiServerArgs(pki), " ")
	for _, want := range []string{"--authorization-mode=RBAC", "--token-auth-file=", "--service-account-key-file=", "--bind-address=127.0.0.1", "--secure-port=6443",
		"--endpoint-reconciler-type=none", "TaintNodesByCondition", "--etcd-prefix=/registry ",
		"--authentication-token-webhook-config-file=/repo/.sandbox/kube/token-webhook.kubeconfig", "--authentication-token-webhook-version=v1"} {
		if !strings.Contains(api+" ", want) {
			t.Errorf("apiserver args lack %s", want)
		}
	}
	cm := strings.Join(c.controllerManagerArgs(pki), " ")
	for _, want := range []string{"deployment-controller", "replicaset-controller", "serviceaccount-token-controller", "clusterrole-aggregation-controller",
		"--leader-elect=false", "--bind-address=127.0.0.1", "--secure-port=10257"} {
		if !strings.Contains(cm, want) {
			t.Errorf("controller-manager args lack %s", want)
		}
	}
	if s := strings.Join(c.schedulerArgs(), " "); !strings.Contains(s, "--bind-address=127.0.0.1") || !strings.Contains(s, "--secure-port=10259") {
		t.Errorf("scheduler args %s", s)
	}
}

// The other clusters share etcd under their own prefix, listen on their own ports and name their
// processes after themselves.
func TestTwinClusterIsSeparate(t *testing.T) {
	c := Cluster{Name: "demo-staging", Ports: PortsOf(1), Dir: "/repo/.sandbox/kube/demo-staging",
		Files: func(n string) proc.Files { return proc.FilesIn("/repo/.sandbox/run", "/repo/.sandbox/logs", n) }}
	api := strings.Join(c.apiServerArgs(c.pki()), " ")
	for _, want := range []string{"--etcd-prefix=/registry-demo-staging", "--secure-port=6444", "--client-ca-file=/repo/.sandbox/kube/demo-staging/pki/ca.crt"} {
		if !strings.Contains(api, want) {
			t.Errorf("apiserver args lack %s", want)
		}
	}
	if strings.Contains(api, "webhook") {
		t.Error("a cluster without a token webhook is configured with one")
	}
	var names []string
	for _, p := range c.Processes() {
		names = append(names, p.Name+" "+p.Address())
	}
	want := "kube-apiserver-demo-staging 127.0.0.1:6444,kube-controller-manager-demo-staging 127.0.0.1:11257,kube-scheduler-demo-staging 127.0.0.1:11259,kwok-demo-staging -"
	if got := strings.Join(names, ","); got != want {
		t.Errorf("processes = %s\nwant        %s", got, want)
	}
	if c.EndpointURL() != "https://127.0.0.1:7444" || c.APIServerURL() != "https://127.0.0.1:6444" {
		t.Errorf("endpoint %s, API server %s", c.EndpointURL(), c.APIServerURL())
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
	// The stages read what the kube agent writes, under the names the contract declares.
	for _, want := range []string{`["` + kwokstages.AnnotationImageIDs + `"]`, `["` + kwokstages.AnnotationContainerError + `"]`,
		`"` + kwokstages.AnnotationImageIDs + `" "{}" $`, `contains("` + kwokstages.CrashLoopMarker + `")`} {
		if !strings.Contains(string(kwokstages.YAML), want) {
			t.Errorf("stages do not contain %s", want)
		}
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
