package helmdeploy

import (
	"testing"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/release"
)

func testChart(tpl string) *chart.Chart {
	return &chart.Chart{
		Metadata:  &chart.Metadata{Name: "demo", Version: "0.1.0"},
		Templates: []*chart.File{{Name: "templates/deploy.yaml", Data: []byte(tpl)}},
		Values:    map[string]any{"replicas": 2},
	}
}

func TestSameAsDeployed(t *testing.T) {
	vals := map[string]any{"image": map[string]any{"digest": "sha256:aa"}, "replicas": 2}
	// A stored release decodes numbers as float64: still the same values.
	stored := &release.Release{Chart: testChart("kind: Deployment"), Config: map[string]any{"image": map[string]any{"digest": "sha256:aa"}, "replicas": float64(2)}}
	if !sameAsDeployed(stored, testChart("kind: Deployment"), vals) {
		t.Fatal("same chart and values must be recognised")
	}
	cases := map[string]struct {
		ch   *chart.Chart
		vals map[string]any
	}{
		"new digest":       {testChart("kind: Deployment"), map[string]any{"image": map[string]any{"digest": "sha256:bb"}, "replicas": 2}},
		"template changed": {testChart("kind: Deployment\n# changed"), vals},
		"chart version": {func() *chart.Chart {
			c := testChart("kind: Deployment")
			c.Metadata.Version = "0.2.0"
			return c
		}(), vals},
		"default values": {func() *chart.Chart {
			c := testChart("kind: Deployment")
			c.Values = map[string]any{"replicas": 3}
			return c
		}(), vals},
	}
	for name, tc := range cases {
		if sameAsDeployed(stored, tc.ch, tc.vals) {
			t.Errorf("%s: must not count as unchanged", name)
		}
	}
	if sameAsDeployed(nil, testChart("x"), vals) {
		t.Error("no deployed release: not unchanged")
	}
}
