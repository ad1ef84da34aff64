package awsfront

import (
	"encoding/json"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/platformteam/delivery/internal/sandbox/ekstwin"
)

// EKS configures the twin clusters: the file `sandbox up` writes naming each cluster's API server
// address and CA (ekstwin.ClusterFile). Without it, EKS calls go to moto unchanged.
type EKS struct {
	ClusterFile string `json:"cluster_file,omitempty"`
}

// eksAccessEntryOperations are the access entries API operations (moto answers them 404).
var eksAccessEntryOperations = []string{"CreateAccessEntry", "ListAccessEntries", "DescribeAccessEntry", "UpdateAccessEntry",
	"DeleteAccessEntry", "AssociateAccessPolicy", "ListAssociatedAccessPolicies", "DisassociateAccessPolicy", "ListAccessPolicies"}

// registerEKS serves the access entries API, DescribeCluster with the twin API server's endpoint and
// CA, and the token-review webhook the twin API servers authenticate bearer tokens with.
func (f *Front) registerEKS() error {
	if f.cfg.EKS.ClusterFile == "" {
		return nil
	}
	entries, err := ekstwin.OpenAccessEntries(filepath.Join(f.cfg.StateDir, "eks-access-entries.json"))
	if err != nil {
		return err
	}
	clusters := func() (ekstwin.ClusterFile, error) { return ekstwin.ReadClusterFile(f.cfg.EKS.ClusterFile) }
	api := &ekstwin.API{Entries: entries, Clusters: clusters}
	for _, op := range eksAccessEntryOperations {
		f.HandleOperation("eks", op, func(w http.ResponseWriter, r *http.Request, call *Call) { f.accessEntryCall(w, r, call, api) })
	}
	f.HandleOperation("eks", "DescribeCluster", func(w http.ResponseWriter, r *http.Request, call *Call) { f.describeCluster(w, r, call, clusters) })
	log := &ekstwin.DecisionLog{Out: logWriter{f}}
	f.HandleControl(ekstwin.TokenReviewPath, &ekstwin.TokenReviewer{
		Verifier: ekstwin.TokenVerifier{STSEndpoints: []string{"http://" + f.cfg.Listen}, Credentials: f.creds, Now: func() time.Time { return f.now() }},
		Entries:  entries, Clusters: clusters, Log: log,
	})
	f.HandleControl(ekstwin.DecisionsPath, log)
	return nil
}

// accessEntryCall authorizes an access entries call with the caller's identity policies and answers
// it from the twin's store. EKS names the cluster in the caller's own account.
func (f *Front) accessEntryCall(w http.ResponseWriter, r *http.Request, call *Call, api *ekstwin.API) {
	route, err := ekstwin.Route(r)
	if err != nil {
		writeEKSError(w, call, err)
		return
	}
	cluster := ekstwin.ClusterRef{Partition: "aws", Account: call.Account, Region: call.Region, Name: route.Cluster}
	if e := f.Authorize(r.Context(), call, Access{Action: "eks:" + route.Op, Resource: api.ResourceARN(route, cluster)}); e != nil {
		WriteError(w, call, e)
		return
	}
	out, err := api.Operate(route, cluster, call.Body, r.URL.Query())
	if err != nil {
		writeEKSError(w, call, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

func writeEKSError(w http.ResponseWriter, call *Call, err error) {
	var e *ekstwin.APIError
	if !errors.As(err, &e) {
		e = &ekstwin.APIError{Status: http.StatusInternalServerError, Code: "ServerException", Message: err.Error()}
	}
	WriteError(w, call, &APIError{Status: e.Status, Code: e.Code, Message: e.Message})
}

// describeCluster answers from moto's record with the twin API server's endpoint and CA put in.
func (f *Front) describeCluster(w http.ResponseWriter, r *http.Request, call *Call, clusters func() (ekstwin.ClusterFile, error)) {
	if e := f.Authorize(r.Context(), call, accessFor(call, r)...); e != nil {
		WriteError(w, call, e)
		return
	}
	resp, body, err := f.backend.do(r.Context(), call, r, call.Body)
	if err != nil {
		WriteError(w, call, &APIError{Status: http.StatusBadGateway, Code: "ServerException", Message: "the twin could not reach moto: " + err.Error()})
		return
	}
	if resp.StatusCode == http.StatusOK {
		file, err := clusters()
		if err != nil {
			WriteError(w, call, &APIError{Status: http.StatusInternalServerError, Code: "ServerException", Message: err.Error()})
			return
		}
		if rewritten, changed, err := ekstwin.RewriteDescribeCluster(body, call.Account, call.Region, file); err != nil {
			WriteError(w, call, &APIError{Status: http.StatusInternalServerError, Code: "ServerException", Message: err.Error()})
			return
		} else if changed {
			body = rewritten
		}
	}
	copyResponse(w, resp, body)
}

// logWriter sends the token reviews' decision lines to the front's log.
type logWriter struct{ f *Front }

func (l logWriter) Write(p []byte) (int, error) {
	l.f.logf("%s", strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
