package ekstwin

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
)

// TwinCluster is an EKS cluster the sandbox runs a Kubernetes API server for.
type TwinCluster struct {
	ClusterRef
	// Endpoint is what DescribeCluster reports: the fault proxy in front of the API server.
	Endpoint string `json:"endpoint"`
	// APIServer is the API server's own address (the sandbox's components talk to it directly).
	APIServer string `json:"apiServer"`
	// CAPEM is the cluster CA certificate (PEM); DescribeCluster reports it base64-encoded.
	CAPEM []byte `json:"caPEM"`
}

// ClusterFile is the list of twin clusters `sandbox up` writes for the AWS front (a typed contract
// between the two processes).
type ClusterFile struct {
	Clusters []TwinCluster `json:"clusters"`
}

// Find returns the twin cluster with this account, region and name.
func (f ClusterFile) Find(account, region, name string) (TwinCluster, bool) {
	i := slices.IndexFunc(f.Clusters, func(c TwinCluster) bool {
		return c.Account == account && c.Region == region && c.Name == name
	})
	if i < 0 {
		return TwinCluster{}, false
	}
	return f.Clusters[i], true
}

// ReadClusterFile reads the twin clusters `sandbox up` declared.
func ReadClusterFile(path string) (ClusterFile, error) {
	var f ClusterFile
	data, err := os.ReadFile(path)
	if err != nil {
		return f, fmt.Errorf("read the twin clusters file (written by `sandbox up`): %w", err)
	}
	if err := json.Unmarshal(data, &f); err != nil {
		return f, fmt.Errorf("twin clusters file %s: %w (run `sandbox up` to rewrite it)", path, err)
	}
	return f, nil
}

// Marshal renders the file's content.
func (f ClusterFile) Marshal() ([]byte, error) { return json.MarshalIndent(f, "", "  ") }
