package kube

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"time"

	"github.com/platformteam/delivery/internal/sandbox/proc"
)

// etcdURL is the client URL the API server stores its data at.
func etcdURL() string { return fmt.Sprintf("http://%s:%d", proc.Host, EtcdClientPort) }

func etcdArgs(dataDir string) []string {
	peer := fmt.Sprintf("http://%s:%d", proc.Host, EtcdPeerPort)
	return []string{
		"--name=sandbox",
		"--data-dir=" + dataDir,
		"--listen-client-urls=" + etcdURL(),
		"--advertise-client-urls=" + etcdURL(),
		"--listen-peer-urls=" + peer,
		"--initial-advertise-peer-urls=" + peer,
		"--initial-cluster=sandbox=" + peer,
		"--initial-cluster-state=new",
		"--log-level=warn",
		// A throwaway local cluster: trade durability for speed on a shared CI disk.
		"--unsafe-no-fsync",
		"--quota-backend-bytes=2147483648",
	}
}

// Etcd is the one etcd every cluster's API server stores in (each under its own prefix).
func Etcd(dataDir string, files proc.Files, binary string) proc.Process {
	return proc.Process{
		Name: "etcd", Version: EtcdVersion, Ports: []int{EtcdClientPort, EtcdPeerPort}, Files: files,
		ReadyTimeout: 60 * time.Second, StopPolicy: proc.StopPolicy{Grace: 15 * time.Second},
		Command: func() (*exec.Cmd, error) {
			if err := os.MkdirAll(dataDir, 0o700); err != nil {
				return nil, fmt.Errorf("create etcd data directory: %w", err)
			}
			return exec.Command(binary, etcdArgs(dataDir)...), nil
		},
		Ready: proc.HTTPCheck(http.DefaultClient, etcdURL()+"/health", nil, http.StatusOK, `"health":"true"`),
	}
}
