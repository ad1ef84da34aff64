package helmdeploy

import (
	"context"
	"fmt"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
)

// LoadChart loads a chart directory or archive.
func LoadChart(path string) (*chart.Chart, error) {
	ch, err := loader.Load(path)
	if err != nil {
		return nil, fmt.Errorf("load chart %s: %w (check eks.chart in delivery.yaml)", path, err)
	}
	if ch.Metadata.Type != "" && ch.Metadata.Type != "application" {
		return nil, fmt.Errorf("chart %s is a %s chart: only application charts can be deployed", path, ch.Metadata.Type)
	}
	return ch, nil
}

// DefaultRenderKubeVersion is the Kubernetes version the client-side render assumes (the EKS minor the
// blueprint targets), so charts may declare a kubeVersion constraint; Helm's own default is far older.
const DefaultRenderKubeVersion = "v1.31.0"

// RenderOptions adjust Render.
type RenderOptions struct {
	// KubeVersion is the cluster version the render assumes (DefaultRenderKubeVersion when empty).
	KubeVersion string
}

// Render templates the chart client-side, without a cluster, exactly as an install would, and returns
// the manifest. A chart that does not render fails here, before anything talks to the cluster.
func Render(ctx context.Context, ch *chart.Chart, vals map[string]any, release, namespace string, opts ...RenderOptions) (string, error) {
	kubeVersion := DefaultRenderKubeVersion
	for _, o := range opts {
		if o.KubeVersion != "" {
			kubeVersion = o.KubeVersion
		}
	}
	kv, err := chartutil.ParseKubeVersion(kubeVersion)
	if err != nil {
		return "", fmt.Errorf("render kube version %q: %w", kubeVersion, err)
	}
	install := action.NewInstall(&action.Configuration{Log: func(string, ...any) {}})
	install.KubeVersion = kv
	install.DryRun = true
	install.ClientOnly = true
	install.Replace = true
	install.ReleaseName = release
	install.Namespace = namespace
	install.IncludeCRDs = true
	rel, err := install.RunWithContext(ctx, ch, vals)
	if err != nil {
		return "", fmt.Errorf("chart %s does not render: %w (nothing was sent to the cluster)", ch.Name(), err)
	}
	return rel.Manifest, nil
}
