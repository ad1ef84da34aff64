package sandbox

import (
	"testing"

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
