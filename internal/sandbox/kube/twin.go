package kube

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/platformteam/delivery/internal/atomicfile"
	"github.com/platformteam/delivery/internal/sandbox/ekstwin"
	"github.com/platformteam/delivery/internal/sandbox/kubetwin"
	"github.com/platformteam/delivery/internal/sandbox/proc"
)

// Twin is the kube-twin process (internal/sandbox/kubetwin): every cluster's fault proxy (the
// endpoint DescribeCluster reports) and kube agent (image pulls and imageIDs, environment references,
// access policy RBAC bindings), with its control API on TwinControlPort.
type Twin struct {
	Binary string
	Config string // where its configuration is written (0600: it may hold AWS credentials)
	Files  proc.Files
	// Clusters are served in this order; Identities gives, per cluster name, the AWS identity its
	// nodes pull with and the one its External Secrets Operator reads with (none: anonymous pulls and
	// no operator).
	Clusters   []Cluster
	Identities map[string]ClusterIdentities
	// RegistryHosts maps the accounts' ECR hosts to the twin registries serving them (host:port), for
	// the twin clusters' pulls of images named as in ECR.
	RegistryHosts map[string]string
}

// ClusterIdentities are the AWS identities of a cluster's node pulls and External Secrets Operator.
type ClusterIdentities struct {
	Nodes, ExternalSecrets *kubetwin.AWSIdentity
}

// ControlURL is kube-twin's control API (faults: faultproxy.ControlPath, health: kubetwin.HealthPath).
func ControlURL() string { return fmt.Sprintf("http://%s:%d", proc.Host, TwinControlPort) }

func (t Twin) config() kubetwin.Config {
	cfg := kubetwin.Config{Control: fmt.Sprintf("%s:%d", proc.Host, TwinControlPort)}
	for _, c := range t.Clusters {
		ids := t.Identities[c.Name]
		cfg.Clusters = append(cfg.Clusters, kubetwin.ClusterConfig{
			Name: c.Name, Kubeconfig: c.Kubeconfig(),
			APIServer:   fmt.Sprintf("%s:%d", proc.Host, c.Ports.APIServer),
			ProxyListen: fmt.Sprintf("%s:%d", proc.Host, c.Ports.Proxy),
			// The twin clusters pull as EKS nodes do; the local cluster lets tests run made-up images.
			StrictPulls: !c.Primary,
			RegistryHosts: func() map[string]string {
				if c.Primary {
					return nil
				}
				return t.RegistryHosts
			}(),
			NodeIdentity: ids.Nodes, ExternalSecretsIdentity: ids.ExternalSecrets,
		})
	}
	return cfg
}

// Process is kube-twin under the sandbox's supervision. It is ready when every controller watches
// its cluster.
func (t Twin) Process() proc.Process {
	ports := []int{TwinControlPort}
	for _, c := range t.Clusters {
		ports = append(ports, c.Ports.Proxy)
	}
	return proc.Process{
		Name: "kube-twin", Version: "project", Ports: ports, Files: t.Files, ConfigFiles: []string{t.Config}, Executable: t.Binary,
		ReadyTimeout: 60 * time.Second, StopPolicy: proc.StopPolicy{Grace: 10 * time.Second},
		Command: func() (*exec.Cmd, error) {
			data, err := json.MarshalIndent(t.config(), "", "  ")
			if err != nil {
				return nil, err
			}
			if err := atomicfile.Write(t.Config, data, 0o600); err != nil {
				return nil, fmt.Errorf("write the kube-twin config: %w", err)
			}
			return exec.Command(t.Binary, "--config", t.Config), nil
		},
		Ready: t.ready,
	}
}

func (t Twin) ready(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ControlURL()+kubetwin.HealthPath, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var health map[string]kubetwin.Health
	if err := json.NewDecoder(resp.Body).Decode(&health); err != nil {
		return fmt.Errorf("kube-twin health: %w", err)
	}
	var waiting []string
	for name, h := range health {
		if !h.Watching {
			waiting = append(waiting, name+" ("+h.Detail+")")
		}
	}
	if len(waiting) > 0 {
		return fmt.Errorf("kube-twin is not watching %s yet", strings.Join(waiting, ", "))
	}
	return nil
}

// WriteClusterFile declares the clusters to the AWS front (ekstwin.ClusterFile): what
// DescribeCluster reports and which token reviews it answers.
func WriteClusterFile(path string, clusters []Cluster) error {
	var f ekstwin.ClusterFile
	for _, c := range clusters {
		ca, err := os.ReadFile(c.CACert())
		if err != nil {
			return fmt.Errorf("cluster %s: read its CA: %w", c.Name, err)
		}
		f.Clusters = append(f.Clusters, ekstwin.TwinCluster{
			ClusterRef: ekstwin.ClusterRef{Partition: "aws", Account: c.Account, Region: c.Region, Name: c.Name},
			Endpoint:   c.EndpointURL(), APIServer: c.APIServerURL(), CAPEM: ca,
		})
	}
	data, err := f.Marshal()
	if err != nil {
		return err
	}
	return atomicfile.Write(path, data, 0o644)
}
