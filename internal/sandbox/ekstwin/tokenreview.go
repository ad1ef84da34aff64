package ekstwin

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	authnv1 "k8s.io/api/authentication/v1"
)

// TokenReviewPath is where the token-review webhook is served; the twin API server of a cluster
// posts to TokenReviewPath + "<account>/<region>/<cluster>".
const TokenReviewPath = "/_twin/eks/token-review/"

// TokenReviewURL is the webhook URL of one cluster at the AWS front's base URL.
func TokenReviewURL(frontURL string, c ClusterRef) string {
	return strings.TrimRight(frontURL, "/") + TokenReviewPath + c.Account + "/" + c.Region + "/" + c.Name
}

// Decision is one authentication decision, as the EKS authenticator logs it.
type Decision struct {
	Time          time.Time `json:"time"`
	Cluster       string    `json:"cluster"`
	Account       string    `json:"account"`
	Authenticated bool      `json:"authenticated"`
	CallerARN     string    `json:"callerArn,omitempty"`
	Username      string    `json:"username,omitempty"`
	Groups        []string  `json:"groups,omitempty"`
	Reason        string    `json:"reason,omitempty"`
}

// DecisionLog keeps the latest decisions for tests and people (GET /_twin/eks/token-reviews).
type DecisionLog struct {
	mu        sync.Mutex
	decisions []Decision
	Out       io.Writer // each decision also goes here as one line (nil: nowhere)
}

const decisionLogSize = 500

func (l *DecisionLog) add(d Decision) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.decisions = append(l.decisions, d)
	if len(l.decisions) > decisionLogSize {
		l.decisions = l.decisions[len(l.decisions)-decisionLogSize:]
	}
	if l.Out != nil {
		if d.Authenticated {
			fmt.Fprintf(l.Out, "eks token review %s/%s: %s authenticated as %s groups %v\n", d.Account, d.Cluster, d.CallerARN, d.Username, d.Groups)
		} else {
			fmt.Fprintf(l.Out, "eks token review %s/%s: refused: %s\n", d.Account, d.Cluster, d.Reason)
		}
	}
}

// Decisions returns a copy of the kept decisions, oldest first.
func (l *DecisionLog) Decisions() []Decision {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Decision(nil), l.decisions...)
}

// DecisionsPath serves the decision log as JSON.
const DecisionsPath = "/_twin/eks/token-reviews"

// ServeHTTP answers GET DecisionsPath.
func (l *DecisionLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		http.Error(w, "GET only", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(l.Decisions())
}

// TokenReviewer is the authentication webhook of the twin API servers: it verifies the token
// (TokenVerifier) and maps the caller through the cluster's access entries.
type TokenReviewer struct {
	Verifier TokenVerifier
	Entries  *AccessEntries
	// Clusters lists the clusters it answers for; a review for another cluster authenticates nobody.
	Clusters func() (ClusterFile, error)
	Log      *DecisionLog
}

// ServeHTTP answers POST TokenReviewPath<account>/<region>/<cluster> with a TokenReview. Every refusal
// is a 200 with authenticated=false and the reason in status.error, as a webhook must answer; the
// API server then answers its client 401 Unauthorized.
func (t *TokenReviewer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST a TokenReview", http.StatusMethodNotAllowed)
		return
	}
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, TokenReviewPath), "/")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		http.Error(w, "path must be "+TokenReviewPath+"<account>/<region>/<cluster>", http.StatusNotFound)
		return
	}
	cluster := ClusterRef{Partition: "aws", Account: parts[0], Region: parts[1], Name: parts[2]}
	var review authnv1.TokenReview
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&review); err != nil {
		http.Error(w, "the body is not a TokenReview: "+err.Error(), http.StatusBadRequest)
		return
	}
	status, decision := t.review(cluster, review.Spec.Token)
	decision.Time, decision.Cluster, decision.Account = time.Now().UTC(), cluster.Name, cluster.Account
	if t.Log != nil {
		t.Log.add(decision)
	}
	status.Audiences = review.Spec.Audiences
	out := authnv1.TokenReview{Status: status}
	out.APIVersion, out.Kind = authnv1.SchemeGroupVersion.String(), "TokenReview"
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

func (t *TokenReviewer) review(cluster ClusterRef, token string) (authnv1.TokenReviewStatus, Decision) {
	refuse := func(err error, callerARN string) (authnv1.TokenReviewStatus, Decision) {
		return authnv1.TokenReviewStatus{Authenticated: false, Error: err.Error()},
			Decision{Authenticated: false, CallerARN: callerARN, Reason: err.Error()}
	}
	if t.Clusters != nil {
		f, err := t.Clusters()
		if err != nil {
			return refuse(err, "")
		}
		if _, ok := f.Find(cluster.Account, cluster.Region, cluster.Name); !ok {
			return refuse(fmt.Errorf("the sandbox runs no twin cluster %s", cluster), "")
		}
	}
	caller, err := t.Verifier.Verify(token, cluster.Name)
	if err != nil {
		return refuse(err, "")
	}
	// Another account's principal authenticates only if the cluster's own entries name it, as on EKS.
	id, err := t.Entries.Identify(cluster, caller)
	if err != nil {
		return refuse(err, caller.Principal.CallerARN)
	}
	return authnv1.TokenReviewStatus{
		Authenticated: true,
		User:          authnv1.UserInfo{Username: id.Username, UID: id.UID, Groups: id.Groups, Extra: extra(id.Extra)},
	}, Decision{Authenticated: true, CallerARN: caller.Principal.CallerARN, Username: id.Username, Groups: id.Groups}
}

func extra(m map[string][]string) map[string]authnv1.ExtraValue {
	out := map[string]authnv1.ExtraValue{}
	for k, v := range m {
		out[k] = v
	}
	return out
}
