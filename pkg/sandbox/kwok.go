package sandbox

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/platformteam/delivery/pkg/sandbox/kwokstages"
)

// KwokNodeAnnotation marks the nodes kwok manages.
const KwokNodeAnnotation = "kwok.x-k8s.io/node"

// kwokArgs runs kwok against the sandbox cluster with the sandbox's own stages, managing only the
// nodes the sandbox registers (annotated kwok.x-k8s.io/node=fake).
func kwokArgs(l Layout, stagesFile string) []string {
	return []string{
		"--kubeconfig=" + kubeconfigPath(l, "kwok"),
		"--config=" + stagesFile,
		"--manage-all-nodes=false",
		"--manage-nodes-with-annotation-selector=" + KwokNodeAnnotation + "=fake",
		"--node-ip=" + Host,
		"--cidr=10.244.0.0/16",
		"--node-lease-duration-seconds=0",
	}
}

func kwokService(l Layout, binary string, nodesReady func(context.Context) error) service {
	stages := filepath.Join(l.KubeDir(), "kwok-stages.yaml")
	return service{
		name: "kwok", version: KwokVersion, configFiles: []string{stages, kubeconfigPath(l, "kwok")},
		readyTimeout: 60 * time.Second, stopGrace: 10 * time.Second,
		command: func() (*exec.Cmd, error) {
			if err := writeFileAtomic(stages, kwokstages.YAML, 0o644); err != nil {
				return nil, fmt.Errorf("write kwok stages: %w", err)
			}
			return exec.Command(binary, kwokArgs(l, stages)...), nil
		},
		// kwok serves nothing clients use; it is ready when the nodes it manages report Ready.
		ready: nodesReady,
	}
}
