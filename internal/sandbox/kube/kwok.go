package kube

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/platformteam/delivery/internal/atomicfile"
	"github.com/platformteam/delivery/internal/sandbox/kube/kwokstages"
	"github.com/platformteam/delivery/internal/sandbox/proc"
)

// kwokNodeAnnotation marks the nodes kwok manages.
const kwokNodeAnnotation = "kwok.x-k8s.io/node"

// kwokArgs runs kwok against the sandbox cluster with the sandbox's own stages, managing only the
// nodes the sandbox registers (annotated kwok.x-k8s.io/node=fake).
func (c Cluster) kwokArgs(stagesFile string) []string {
	return []string{
		"--kubeconfig=" + c.kubeconfigPath("kwok"),
		"--config=" + stagesFile,
		"--manage-all-nodes=false",
		"--manage-nodes-with-annotation-selector=" + kwokNodeAnnotation + "=fake",
		"--node-ip=" + proc.Host,
		"--cidr=10.244.0.0/16",
		"--node-lease-duration-seconds=0",
	}
}

func (c Cluster) kwok() proc.Process {
	stages := filepath.Join(c.Dir, "kwok-stages.yaml")
	return proc.Process{
		Name: c.process("kwok"), Version: KwokVersion, ConfigFiles: []string{stages, c.kubeconfigPath("kwok")}, Files: c.Files(c.process("kwok")),
		ReadyTimeout: 60 * time.Second, StopPolicy: proc.StopPolicy{Grace: 10 * time.Second},
		Command: func() (*exec.Cmd, error) {
			if err := atomicfile.Write(stages, kwokstages.YAML, 0o644); err != nil {
				return nil, fmt.Errorf("write kwok stages: %w", err)
			}
			return exec.Command(c.Binaries.Kwok, c.kwokArgs(stages)...), nil
		},
		// kwok serves nothing clients use; it is ready when the nodes it manages report Ready.
		Ready: c.nodesReady,
	}
}
