package helmdeploy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeChart writes a minimal chart whose deployment template is tpl.
func writeChart(t *testing.T, tpl string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "lintme")
	if err := os.MkdirAll(filepath.Join(dir, "templates"), 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"Chart.yaml":             "apiVersion: v2\nname: lintme\nversion: 0.1.0\nicon: data:,\n",
		"values.yaml":            "image:\n  repository: x\n  digest: \"\"\n",
		"templates/config.yaml":  tpl,
		"templates/_helpers.tpl": "",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestLintAcceptsAGoodChartAndRejectsABrokenOne(t *testing.T) {
	good := writeChart(t, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n  image: {{ .Values.image.repository }}@{{ .Values.image.digest }}\n")
	if err := Lint(t.Context(), good, nil, LintImage, "demo", "demo"); err != nil {
		t.Fatalf("good chart: %v", err)
	}
	broken := writeChart(t, "{{ .Values.this.does.not.exist }}\n")
	err := Lint(t.Context(), broken, nil, LintImage, "demo", "demo")
	if err == nil || !strings.Contains(err.Error(), "lint") {
		t.Fatalf("broken chart must fail lint, got %v", err)
	}
	if err := Lint(t.Context(), good, []string{filepath.Join(t.TempDir(), "absent.yaml")}, LintImage, "demo", "demo"); err == nil {
		t.Fatal("a missing values file must fail")
	}
}
