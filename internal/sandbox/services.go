package sandbox

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/platformteam/delivery/internal/atomicfile"
	"github.com/platformteam/delivery/internal/sandbox/moto"
	"github.com/platformteam/delivery/internal/sandbox/proc"
)

// Loopback ports of the sandbox's AWS endpoint and registry (the sandbox contract in
// docs/CONVENTIONS.md; the cluster's are in package kube).
const (
	MotoPort        = 4566 // the AWS endpoint clients use: aws-front, in front of moto
	MotoBackendPort = 4567 // moto itself
	RegistryPort    = 5000
)

// MotoRunningTasks is what the sandbox's moto reports as every ECS service's running count: a service
// that wants exactly this many tasks reads as steady.
const MotoRunningTasks = moto.RunningTasks

// MotoURL is the AWS endpoint URL clients use (aws-front, which forwards to moto).
func MotoURL() string { return fmt.Sprintf("http://%s:%d", proc.Host, MotoPort) }

// motoBackendURL is moto itself, behind aws-front.
func motoBackendURL() string { return fmt.Sprintf("http://%s:%d", proc.Host, MotoBackendPort) }

// RegistryAddress is the plain-HTTP registry's host:port.
func RegistryAddress() string { return fmt.Sprintf("%s:%d", proc.Host, RegistryPort) }

// processes are the sandbox's own long-running processes (the cluster's are kube's), in start order.
func (l Layout) processes(python, motoVersion, awsFront, registry string) []proc.Process {
	return []proc.Process{l.motoProcess(python, motoVersion), l.registryProcess(registry), l.awsFrontProcess(awsFront)}
}

// retiredProcesses are processes earlier versions of the sandbox started under names it no longer
// uses: up and down stop them, so a sandbox started by an older checkout does not hold their ports.
func (l Layout) retiredProcesses() []proc.Process {
	return []proc.Process{{Name: "ecs-rollout", Files: l.ProcessFiles("ecs-rollout"), StopPolicy: proc.StopPolicy{Grace: 10 * time.Second}}} // now aws-front
}

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

func (l Layout) registryProcess(binary string) proc.Process {
	dir := l.DataDir("registry")
	cfg := filepath.Join(dir, "config.yml")
	return proc.Process{
		Name: "registry", Version: "docker-registry 2.8", Ports: []int{RegistryPort}, ConfigFiles: []string{cfg},
		Files: l.ProcessFiles("registry"), ReadyTimeout: 30 * time.Second, StopPolicy: proc.StopPolicy{Grace: 10 * time.Second},
		Command: func() (*exec.Cmd, error) {
			storage := filepath.Join(dir, "data")
			if err := os.MkdirAll(storage, 0o755); err != nil {
				return nil, fmt.Errorf("create registry storage: %w", err)
			}
			if err := atomicfile.Write(cfg, renderRegistryConfig(storage), 0o644); err != nil {
				return nil, err
			}
			return exec.Command(binary, "serve", cfg), nil
		},
		Ready: proc.HTTPCheck(http.DefaultClient, "http://"+RegistryAddress()+"/v2/", nil, http.StatusOK, ""),
	}
}
