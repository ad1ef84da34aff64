package helmdeploy

import (
	"bytes"
	"encoding/json"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/release"
)

// sameAsDeployed reports whether the deployed release already has exactly this chart (name, version,
// templates, default values) and these user values — so an upgrade would only add a revision that
// changes nothing. Values are compared as JSON, since a stored release decodes numbers as float64.
func sameAsDeployed(dep *release.Release, ch *chart.Chart, vals map[string]any) bool {
	if dep == nil || dep.Chart == nil || dep.Chart.Metadata == nil || ch == nil || ch.Metadata == nil {
		return false
	}
	if dep.Chart.Metadata.Name != ch.Metadata.Name || dep.Chart.Metadata.Version != ch.Metadata.Version {
		return false
	}
	if !sameFiles(dep.Chart.Templates, ch.Templates) {
		return false
	}
	return sameJSON(dep.Chart.Values, ch.Values) && sameJSON(dep.Config, vals)
}

func sameFiles(a, b []*chart.File) bool {
	if len(a) != len(b) {
		return false
	}
	byName := make(map[string][]byte, len(a))
	for _, f := range a {
		byName[f.Name] = f.Data
	}
	for _, f := range b {
		data, ok := byName[f.Name]
		if !ok || !bytes.Equal(data, f.Data) {
			return false
		}
	}
	return true
}

func sameJSON(a, b map[string]any) bool {
	ja, err1 := canonicalJSON(a)
	jb, err2 := canonicalJSON(b)
	return err1 == nil && err2 == nil && bytes.Equal(ja, jb)
}

// canonicalJSON encodes m with sorted keys and JSON number types (nil and empty maps are equal).
func canonicalJSON(m map[string]any) ([]byte, error) {
	if len(m) == 0 {
		return []byte("{}"), nil
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	var norm any
	if err := json.Unmarshal(raw, &norm); err != nil {
		return nil, err
	}
	return json.Marshal(norm)
}
