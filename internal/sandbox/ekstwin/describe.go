package ekstwin

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
)

// RewriteDescribeCluster takes moto's DescribeCluster answer (moto invents an endpoint and a CA) and,
// when the cluster is a twin cluster of the caller's account and region, puts in the address of the
// sandbox API server (its fault proxy) and its CA, and the authentication mode the twin enforces
// (access entries only). Every other field is kept. It reports whether it changed anything.
func RewriteDescribeCluster(body []byte, account, region string, clusters ClusterFile) ([]byte, bool, error) {
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, false, fmt.Errorf("DescribeCluster answer is not JSON: %w", err)
	}
	cluster, ok := doc["cluster"].(map[string]any)
	if !ok {
		return body, false, nil
	}
	name, _ := cluster["name"].(string)
	twin, ok := clusters.Find(account, region, name)
	if !ok {
		return body, false, nil
	}
	cluster["endpoint"] = twin.Endpoint
	cluster["certificateAuthority"] = map[string]any{"data": base64.StdEncoding.EncodeToString(twin.CAPEM)}
	access, _ := cluster["accessConfig"].(map[string]any)
	if access == nil {
		access = map[string]any{}
	}
	access["authenticationMode"] = "API"
	cluster["accessConfig"] = access
	cluster["status"] = "ACTIVE"
	out, err := json.Marshal(doc)
	if err != nil {
		return nil, false, err
	}
	return out, true, nil
}
