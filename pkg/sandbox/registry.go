package sandbox

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// RegistryAddress is the plain-HTTP registry's host:port.
func RegistryAddress() string { return fmt.Sprintf("%s:%d", Host, RegistryPort) }

// renderRegistryConfig is docker-registry's configuration: filesystem storage under the state
// directory, deletes allowed (tests clean up), loopback only, no debug listener.
func renderRegistryConfig(storageDir string) []byte {
	return []byte(fmt.Sprintf(`version: 0.1
log:
  level: info
  formatter: text
storage:
  filesystem:
    rootdirectory: %q
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: %s
  headers:
    X-Content-Type-Options: [nosniff]
`, storageDir, RegistryAddress()))
}

func registryService(l Layout, binary string) service {
	dir := l.DataDir("registry")
	cfg := filepath.Join(dir, "config.yml")
	return service{
		name: "registry", version: "docker-registry 2.8", ports: []int{RegistryPort}, configFiles: []string{cfg},
		readyTimeout: 30 * time.Second, stopGrace: 10 * time.Second,
		command: func() (*exec.Cmd, error) {
			storage := filepath.Join(dir, "data")
			if err := os.MkdirAll(storage, 0o755); err != nil {
				return nil, fmt.Errorf("create registry storage: %w", err)
			}
			if err := writeFileAtomic(cfg, renderRegistryConfig(storage), 0o644); err != nil {
				return nil, err
			}
			return exec.Command(binary, "serve", cfg), nil
		},
		ready: func(ctx context.Context) error {
			return httpProbe(ctx, plainHTTP, "http://"+RegistryAddress()+"/v2/", nil, http.StatusOK, "")
		},
	}
}
