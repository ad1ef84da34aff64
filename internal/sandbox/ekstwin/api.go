package ekstwin

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/platformteam/delivery/internal/sandbox/awsfront/sigv4"
)

// APIError is an error answer of the EKS API (REST-JSON: X-Amzn-ErrorType and a message).
type APIError struct {
	Status  int
	Code    string // e.g. ResourceNotFoundException
	Message string
}

func (e *APIError) Error() string { return e.Code + ": " + e.Message }

// Authorizer authenticates SigV4-signed requests and evaluates the caller's IAM identity policies,
// as IAM does for EKS API calls. It is the AWS front's (it knows the credentials moto issued and the
// identity policies); its errors are *APIError (e.g. 403 AccessDeniedException naming the action).
type Authorizer interface {
	Authenticate(r *http.Request, body []byte) (Caller, error)
	Allowed(caller Caller, action, resource string) error
}

// API serves the EKS access entries API for the twin clusters (moto answers 404 to it).
type API struct {
	Entries    *AccessEntries
	Clusters   func() (ClusterFile, error)
	Authorizer Authorizer
}

// IsAccessAPI reports whether an EKS request (SigV4 scope service "eks") is one API serves.
func IsAccessAPI(r *http.Request) bool {
	p := r.URL.EscapedPath()
	return p == "/access-policies" || strings.HasPrefix(p, "/clusters/") && strings.Contains(p, "/access-entries")
}

// AccessRoute is a parsed access entries API call: the operation and the path's parameters.
type AccessRoute struct {
	Op        string // e.g. CreateAccessEntry
	Cluster   string
	Principal string // principalArn, for entry-level operations
	Policy    string // policyArn, for DisassociateAccessPolicy
}

// Route parses an access entries API call from its method and path.
func Route(r *http.Request) (AccessRoute, error) {
	raw := strings.Split(strings.TrimPrefix(r.URL.EscapedPath(), "/"), "/")
	seg := make([]string, len(raw))
	for i, s := range raw {
		v, err := url.PathUnescape(s)
		if err != nil {
			return AccessRoute{}, &APIError{http.StatusBadRequest, "InvalidRequestException", "the path is not URL-encoded correctly"}
		}
		seg[i] = v
	}
	m := r.Method
	switch {
	case len(seg) == 1 && seg[0] == "access-policies" && m == http.MethodGet:
		return AccessRoute{Op: "ListAccessPolicies"}, nil
	case len(seg) < 3 || seg[0] != "clusters" || seg[2] != "access-entries":
	case len(seg) == 3 && m == http.MethodPost:
		return AccessRoute{Op: "CreateAccessEntry", Cluster: seg[1]}, nil
	case len(seg) == 3 && m == http.MethodGet:
		return AccessRoute{Op: "ListAccessEntries", Cluster: seg[1]}, nil
	case len(seg) == 4:
		op := map[string]string{http.MethodGet: "DescribeAccessEntry", http.MethodPost: "UpdateAccessEntry", http.MethodDelete: "DeleteAccessEntry"}[m]
		if op != "" {
			return AccessRoute{Op: op, Cluster: seg[1], Principal: seg[3]}, nil
		}
	case len(seg) == 5 && seg[4] == "access-policies":
		op := map[string]string{http.MethodGet: "ListAssociatedAccessPolicies", http.MethodPost: "AssociateAccessPolicy"}[m]
		if op != "" {
			return AccessRoute{Op: op, Cluster: seg[1], Principal: seg[3]}, nil
		}
	case len(seg) == 6 && seg[4] == "access-policies" && m == http.MethodDelete:
		return AccessRoute{Op: "DisassociateAccessPolicy", Cluster: seg[1], Principal: seg[3], Policy: seg[5]}, nil
	}
	return AccessRoute{}, &APIError{http.StatusNotFound, "NotFoundException", fmt.Sprintf("%s %s is not an EKS access entries operation", m, r.URL.Path)}
}

// ServeHTTP answers one access entries API call.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	out, err := a.serve(r)
	if err != nil {
		writeError(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

func writeError(w http.ResponseWriter, err error) {
	var apiErr *APIError
	if !errors.As(err, &apiErr) {
		apiErr = &APIError{http.StatusInternalServerError, "ServerException", err.Error()}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", apiErr.Code)
	w.WriteHeader(apiErr.Status)
	_ = json.NewEncoder(w).Encode(map[string]string{"message": apiErr.Message})
}

// storeError maps an AccessEntries error to EKS's exception.
func storeError(err error) error {
	var apiErr *APIError
	switch {
	case errors.As(err, &apiErr):
		return err
	case errors.Is(err, ErrNotFound):
		return &APIError{http.StatusNotFound, "ResourceNotFoundException", err.Error()}
	case errors.Is(err, ErrInUse):
		return &APIError{http.StatusConflict, "ResourceInUseException", err.Error()}
	case errors.Is(err, ErrInvalid):
		return &APIError{http.StatusBadRequest, "InvalidParameterException", err.Error()}
	}
	return err
}

func (a *API) serve(r *http.Request) (any, error) {
	route, err := Route(r)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return nil, &APIError{http.StatusBadRequest, "InvalidRequestException", "read the request body: " + err.Error()}
	}
	auth, err := sigv4.Parse(r)
	if err != nil {
		return nil, &APIError{http.StatusForbidden, "MissingAuthenticationTokenException", "the request is not signed with SigV4: " + err.Error()}
	}
	caller, err := a.Authorizer.Authenticate(r, body)
	if err != nil {
		return nil, err
	}
	// EKS resolves the cluster name in the caller's own account.
	cluster := ClusterRef{Partition: "aws", Account: caller.Account, Region: auth.Region, Name: route.Cluster}
	if err := a.Authorizer.Allowed(caller, "eks:"+route.Op, a.ResourceARN(route, cluster)); err != nil {
		return nil, err
	}
	return a.Operate(route, cluster, body, r.URL.Query())
}

// ResourceARN is the resource IAM evaluates for a call: "*" for ListAccessPolicies, the access entry
// for entry-level operations when it exists, else the cluster.
func (a *API) ResourceARN(route AccessRoute, cluster ClusterRef) string {
	if route.Op == "ListAccessPolicies" {
		return "*"
	}
	if route.Principal != "" {
		if e, err := a.Entries.Describe(cluster, route.Principal); err == nil {
			return e.ARN
		}
	}
	return fmt.Sprintf("arn:%s:eks:%s:%s:cluster/%s", cluster.Partition, cluster.Region, cluster.Account, cluster.Name)
}

// Operate answers an authorized call on cluster (the caller's account and the signed region). The
// answer is the JSON body EKS sends; an error is an *APIError.
func (a *API) Operate(route AccessRoute, cluster ClusterRef, body []byte, query url.Values) (any, error) {
	if route.Op == "ListAccessPolicies" {
		return listAccessPolicies(), nil
	}
	clusters, err := a.Clusters()
	if err != nil {
		return nil, &APIError{http.StatusInternalServerError, "ServerException", err.Error()}
	}
	if _, ok := clusters.Find(cluster.Account, cluster.Region, cluster.Name); !ok {
		return nil, &APIError{http.StatusNotFound, "ResourceNotFoundException",
			fmt.Sprintf("No cluster found for name: %s. (The sandbox runs Kubernetes API servers for its twin clusters only.)", route.Cluster)}
	}
	out, err := a.operate(route, cluster, body, query)
	if err != nil {
		return nil, storeError(err)
	}
	return out, nil
}

type accessEntryJSON struct {
	ClusterName      string            `json:"clusterName"`
	PrincipalARN     string            `json:"principalArn"`
	KubernetesGroups []string          `json:"kubernetesGroups,omitempty"`
	AccessEntryARN   string            `json:"accessEntryArn"`
	CreatedAt        float64           `json:"createdAt"`
	ModifiedAt       float64           `json:"modifiedAt"`
	Tags             map[string]string `json:"tags,omitempty"`
	Username         string            `json:"username"`
	Type             string            `json:"type"`
}

type associatedPolicyJSON struct {
	PolicyARN    string      `json:"policyArn"`
	AccessScope  AccessScope `json:"accessScope"`
	AssociatedAt float64     `json:"associatedAt"`
	ModifiedAt   float64     `json:"modifiedAt"`
}

func epoch(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

func entryJSON(e AccessEntry) map[string]any {
	return map[string]any{"accessEntry": accessEntryJSON{
		ClusterName: e.Cluster.Name, PrincipalARN: e.PrincipalARN, KubernetesGroups: e.KubernetesGroups,
		AccessEntryARN: e.ARN, CreatedAt: epoch(e.CreatedAt), ModifiedAt: epoch(e.ModifiedAt), Tags: e.Tags,
		Username: e.EffectiveUsername(), Type: e.Type,
	}}
}

func policyJSON(p AssociatedPolicy) associatedPolicyJSON {
	return associatedPolicyJSON{PolicyARN: p.PolicyARN, AccessScope: p.Scope, AssociatedAt: epoch(p.AssociatedAt), ModifiedAt: epoch(p.ModifiedAt)}
}

func decode(body []byte, v any) error {
	if len(body) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		return &APIError{http.StatusBadRequest, "InvalidParameterException", "the request body is not valid JSON: " + err.Error()}
	}
	return nil
}

func (a *API) operate(route AccessRoute, cluster ClusterRef, body []byte, query url.Values) (any, error) {
	s := a.Entries
	switch route.Op {
	case "CreateAccessEntry":
		var in struct {
			PrincipalARN     string            `json:"principalArn"`
			KubernetesGroups []string          `json:"kubernetesGroups"`
			Tags             map[string]string `json:"tags"`
			Username         string            `json:"username"`
			Type             string            `json:"type"`
		}
		if err := decode(body, &in); err != nil {
			return nil, err
		}
		e, err := s.Create(AccessEntry{Cluster: cluster, PrincipalARN: in.PrincipalARN, KubernetesGroups: in.KubernetesGroups,
			Tags: in.Tags, Username: in.Username, Type: in.Type})
		if err != nil {
			return nil, err
		}
		return entryJSON(e), nil
	case "ListAccessEntries":
		entries := s.List(cluster, query.Get("associatedPolicyArn"))
		if entries == nil {
			entries = []string{}
		}
		return map[string]any{"accessEntries": entries}, nil
	case "DescribeAccessEntry":
		e, err := s.Describe(cluster, route.Principal)
		if err != nil {
			return nil, err
		}
		return entryJSON(e), nil
	case "UpdateAccessEntry":
		var in struct {
			KubernetesGroups []string `json:"kubernetesGroups"`
			Username         string   `json:"username"`
		}
		if err := decode(body, &in); err != nil {
			return nil, err
		}
		e, err := s.Update(cluster, route.Principal, in.KubernetesGroups, in.Username)
		if err != nil {
			return nil, err
		}
		return entryJSON(e), nil
	case "DeleteAccessEntry":
		return map[string]any{}, s.Delete(cluster, route.Principal)
	case "AssociateAccessPolicy":
		var in struct {
			PolicyARN   string      `json:"policyArn"`
			AccessScope AccessScope `json:"accessScope"`
		}
		if err := decode(body, &in); err != nil {
			return nil, err
		}
		p, err := s.Associate(cluster, route.Principal, in.PolicyARN, in.AccessScope)
		if err != nil {
			return nil, err
		}
		return map[string]any{"clusterName": cluster.Name, "principalArn": route.Principal, "associatedAccessPolicy": policyJSON(p)}, nil
	case "ListAssociatedAccessPolicies":
		policies, err := s.ListAssociated(cluster, route.Principal)
		if err != nil {
			return nil, err
		}
		out := []associatedPolicyJSON{}
		for _, p := range policies {
			out = append(out, policyJSON(p))
		}
		return map[string]any{"clusterName": cluster.Name, "principalArn": route.Principal, "associatedAccessPolicies": out}, nil
	case "DisassociateAccessPolicy":
		return map[string]any{}, s.Disassociate(cluster, route.Principal, route.Policy)
	}
	return nil, &APIError{http.StatusNotFound, "NotFoundException", "operation " + route.Op + " is not an access entries operation"}
}

func listAccessPolicies() map[string]any {
	var out []map[string]string
	for _, p := range AccessPolicies {
		out = append(out, map[string]string{"name": p.Name, "arn": p.ARN("aws")})
	}
	return map[string]any{"accessPolicies": out}
}
