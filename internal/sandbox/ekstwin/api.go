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

// accessRoute is a parsed access entries API path.
type accessRoute struct {
	op        string
	cluster   string
	principal string
	policy    string
}

func routeOf(r *http.Request) (accessRoute, error) {
	raw := strings.Split(strings.TrimPrefix(r.URL.EscapedPath(), "/"), "/")
	seg := make([]string, len(raw))
	for i, s := range raw {
		v, err := url.PathUnescape(s)
		if err != nil {
			return accessRoute{}, &APIError{http.StatusBadRequest, "InvalidRequestException", "the path is not URL-encoded correctly"}
		}
		seg[i] = v
	}
	m := r.Method
	switch {
	case len(seg) == 1 && seg[0] == "access-policies" && m == http.MethodGet:
		return accessRoute{op: "ListAccessPolicies"}, nil
	case len(seg) < 3 || seg[0] != "clusters" || seg[2] != "access-entries":
	case len(seg) == 3 && m == http.MethodPost:
		return accessRoute{op: "CreateAccessEntry", cluster: seg[1]}, nil
	case len(seg) == 3 && m == http.MethodGet:
		return accessRoute{op: "ListAccessEntries", cluster: seg[1]}, nil
	case len(seg) == 4:
		op := map[string]string{http.MethodGet: "DescribeAccessEntry", http.MethodPost: "UpdateAccessEntry", http.MethodDelete: "DeleteAccessEntry"}[m]
		if op != "" {
			return accessRoute{op: op, cluster: seg[1], principal: seg[3]}, nil
		}
	case len(seg) == 5 && seg[4] == "access-policies":
		op := map[string]string{http.MethodGet: "ListAssociatedAccessPolicies", http.MethodPost: "AssociateAccessPolicy"}[m]
		if op != "" {
			return accessRoute{op: op, cluster: seg[1], principal: seg[3]}, nil
		}
	case len(seg) == 6 && seg[4] == "access-policies" && m == http.MethodDelete:
		return accessRoute{op: "DisassociateAccessPolicy", cluster: seg[1], principal: seg[3], policy: seg[5]}, nil
	}
	return accessRoute{}, &APIError{http.StatusNotFound, "NotFoundException", fmt.Sprintf("%s %s is not an EKS access entries operation", m, r.URL.Path)}
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
	switch {
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
	route, err := routeOf(r)
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
	region := auth.Region
	caller, err := a.Authorizer.Authenticate(r, body)
	if err != nil {
		return nil, err
	}
	if route.op == "ListAccessPolicies" {
		if err := a.Authorizer.Allowed(caller, "eks:"+route.op, "*"); err != nil {
			return nil, err
		}
		return listAccessPolicies(), nil
	}
	// EKS resolves the cluster name in the caller's own account.
	cluster := ClusterRef{Partition: "aws", Account: caller.Account, Region: region, Name: route.cluster}
	if err := a.Authorizer.Allowed(caller, "eks:"+route.op, a.resourceFor(route, cluster)); err != nil {
		return nil, err
	}
	clusters, err := a.Clusters()
	if err != nil {
		return nil, err
	}
	if _, ok := clusters.Find(cluster.Account, cluster.Region, cluster.Name); !ok {
		return nil, &APIError{http.StatusNotFound, "ResourceNotFoundException",
			fmt.Sprintf("No cluster found for name: %s. (The sandbox runs Kubernetes API servers for its twin clusters only.)", route.cluster)}
	}
	out, err := a.operate(route, cluster, body, r.URL.Query())
	if err != nil {
		return nil, storeError(err)
	}
	return out, nil
}

// resourceFor is the resource ARN IAM evaluates: the cluster for cluster-level operations, the access
// entry for entry-level ones (the cluster when the entry does not exist; the call then fails with
// ResourceNotFoundException if allowed).
func (a *API) resourceFor(route accessRoute, cluster ClusterRef) string {
	if route.principal != "" {
		if e, err := a.Entries.Describe(cluster, route.principal); err == nil {
			return e.ARN
		}
	}
	return fmt.Sprintf("arn:%s:eks:%s:%s:cluster/%s", cluster.Partition, cluster.Region, cluster.Account, cluster.Name)
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

func (a *API) operate(route accessRoute, cluster ClusterRef, body []byte, query url.Values) (any, error) {
	s := a.Entries
	switch route.op {
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
		e, err := s.Describe(cluster, route.principal)
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
		e, err := s.Update(cluster, route.principal, in.KubernetesGroups, in.Username)
		if err != nil {
			return nil, err
		}
		return entryJSON(e), nil
	case "DeleteAccessEntry":
		return map[string]any{}, s.Delete(cluster, route.principal)
	case "AssociateAccessPolicy":
		var in struct {
			PolicyARN   string      `json:"policyArn"`
			AccessScope AccessScope `json:"accessScope"`
		}
		if err := decode(body, &in); err != nil {
			return nil, err
		}
		p, err := s.Associate(cluster, route.principal, in.PolicyARN, in.AccessScope)
		if err != nil {
			return nil, err
		}
		return map[string]any{"clusterName": cluster.Name, "principalArn": route.principal, "associatedAccessPolicy": policyJSON(p)}, nil
	case "ListAssociatedAccessPolicies":
		policies, err := s.ListAssociated(cluster, route.principal)
		if err != nil {
			return nil, err
		}
		out := []associatedPolicyJSON{}
		for _, p := range policies {
			out = append(out, policyJSON(p))
		}
		return map[string]any{"clusterName": cluster.Name, "principalArn": route.principal, "associatedAccessPolicies": out}, nil
	case "DisassociateAccessPolicy":
		return map[string]any{}, s.Disassociate(cluster, route.principal, route.policy)
	}
	return nil, fmt.Errorf("operation %s is routed but not implemented", route.op)
}

func listAccessPolicies() map[string]any {
	var out []map[string]string
	for _, p := range AccessPolicies {
		out = append(out, map[string]string{"name": p.Name, "arn": p.ARN("aws")})
	}
	return map[string]any{"accessPolicies": out}
}
