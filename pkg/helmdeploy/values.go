package helmdeploy

import (
	"fmt"
	"os"

	"helm.sh/helm/v3/pkg/chartutil"

	"github.com/platformteam/delivery/pkg/artifact"
)

// PlatformVariable tells the app it runs on EKS; set under the chart's env map.
const (
	PlatformVariable = "DEPLOY_PLATFORM"
	PlatformValue    = "eks"
)

// ImageValues are the values the release engine always sets, over any values file:
//
//	image.repository, image.digest, image.tag, image.pullPolicy=Always, buildVersion, env.DEPLOY_PLATFORM=eks
type ImageValues struct {
	// Image is the pinned image; its tag (the short commit SHA), when known, becomes image.tag.
	Image        artifact.Pinned
	BuildVersion string
}

func (v ImageValues) validate() error {
	if v.Image.IsZero() {
		return fmt.Errorf("image is required, pinned by digest (take it from artifact.json)")
	}
	return nil
}

func (v ImageValues) overrides() map[string]any {
	img := map[string]any{"repository": v.Image.Repository(), "digest": v.Image.Digest(), "pullPolicy": "Always"}
	if t := v.Image.Tag(); t != "" {
		img["tag"] = t
	}
	out := map[string]any{"image": img, "env": map[string]any{PlatformVariable: PlatformValue}}
	if v.BuildVersion != "" {
		out["buildVersion"] = v.BuildVersion
	}
	return out
}

// ComposeValues reads the values files in order (later wins, maps merge deeply) and applies the image
// values on top. A missing or malformed file fails here, before rendering.
func ComposeValues(files []string, image ImageValues) (map[string]any, error) {
	if err := image.validate(); err != nil {
		return nil, err
	}
	out := map[string]any{}
	for _, f := range files {
		if _, err := os.Stat(f); err != nil {
			return nil, fmt.Errorf("values file %s: %w (fix eks.values_files in delivery.yaml)", f, err)
		}
		vals, err := chartutil.ReadValuesFile(f)
		if err != nil {
			return nil, fmt.Errorf("values file %s is not valid YAML: %w", f, err)
		}
		out = merge(out, vals.AsMap())
	}
	return merge(out, image.overrides()), nil
}

// merge deep-merges src into dst (maps merge, everything else replaces) and returns dst.
func merge(dst, src map[string]any) map[string]any {
	for k, v := range src {
		if sm, ok := v.(map[string]any); ok {
			if dm, ok := dst[k].(map[string]any); ok {
				dst[k] = merge(dm, sm)
				continue
			}
			dst[k] = merge(map[string]any{}, sm)
			continue
		}
		dst[k] = v
	}
	return dst
}
