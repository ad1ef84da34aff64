package sandbox

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"time"
)

// EtcdURL is the client URL the API server stores its data at.
func EtcdURL() string { return fmt.Sprintf("http://%s:%d", Host, EtcdClientPort) }

func etcdArgs(dataDir string) []string {
	peer := fmt.Sprintf("http://%s:%d", Host, EtcdPeerPort)
	return []string{
		"--name=sandbox",
		"--data-dir=" + dataDir,
		"--listen-client-urls=" + EtcdURL(),
		"--advertise-client-urls=" + EtcdURL(),
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

func etcdService(l Layout, binary string) service {
	return service{
		name: "etcd", version: EtcdVersion, ports: []int{EtcdClientPort, EtcdPeerPort},
		readyTimeout: 60 * time.Second, stopGrace: 15 * time.Second,
		command: func() (*exec.Cmd, error) {
			dir := l.DataDir("etcd")
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return nil, fmt.Errorf("create etcd data directory: %w", err)
			}
			return exec.Command(binary, etcdArgs(dir)...), nil
		},
		ready: func(ctx context.Context) error {
			return httpProbe(ctx, plainHTTP, EtcdURL()+"/health", nil, http.StatusOK, `"health":"true"`)
		},
	}
}
