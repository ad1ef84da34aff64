package ekstwin

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	authnv1 "k8s.io/api/authentication/v1"

	"github.com/platformteam/delivery/internal/sandbox/awsfront/credentials"
)

var planRoleSession = credentials.Credential{
	AccessKeyID: "ASIAEXAMPLEPLAN00001", SecretAccessKey: "plan-secret", SessionToken: "plan-session",
	Principal: "arn:aws:sts::222222222222:assumed-role/demo-staging-ci-plan/drift@main", Account: "222222222222",
}

var strangerSession = credentials.Credential{
	AccessKeyID: "ASIAEXAMPLESTRANGER1", SecretAccessKey: "stranger-secret", SessionToken: "stranger-session",
	Principal: "arn:aws:sts::222222222222:assumed-role/demo-staging-ci-build/run-7", Account: "222222222222",
}

// seededStaging is what the Terraform declares for staging (stacks/platform/eks access_entries).
func seededStaging(t *testing.T) *AccessEntries {
	t.Helper()
	s, _ := OpenAccessEntries("")
	c := stagingRef()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err := s.Create(AccessEntry{Cluster: c, PrincipalARN: deployRoleARN, KubernetesGroups: []string{"ci-deployers"}})
	must(err)
	_, err = s.Associate(c, deployRoleARN, editPolicyARN, AccessScope{Type: ScopeNamespace, Namespaces: []string{"demo"}})
	must(err)
	_, err = s.Create(AccessEntry{Cluster: c, PrincipalARN: "arn:aws:iam::222222222222:role/ci/demo-staging-ci-plan"})
	must(err)
	_, err = s.Associate(c, "arn:aws:iam::222222222222:role/ci/demo-staging-ci-plan", viewPolicyARN, AccessScope{Type: ScopeCluster})
	must(err)
	return s
}

func review(t *testing.T, h http.Handler, path, token string) authnv1.TokenReviewStatus {
	t.Helper()
	in := authnv1.TokenReview{Spec: authnv1.TokenReviewSpec{Token: token}}
	in.APIVersion, in.Kind = "authentication.k8s.io/v1", "TokenReview"
	body, _ := json.Marshal(in)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body)))
	if rec.Code != http.StatusOK {
		t.Fatalf("token review answered %d: %s", rec.Code, rec.Body)
	}
	var out authnv1.TokenReview
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || out.Kind != "TokenReview" || out.APIVersion != "authentication.k8s.io/v1" {
		t.Fatalf("answer %s: %v", rec.Body, err)
	}
	return out.Status
}

func TestTokenReviewMapsAccessEntriesToKubernetesIdentities(t *testing.T) {
	log := &DecisionLog{}
	reviewer := &TokenReviewer{
		Verifier: verifier(t, deployRoleSession, planRoleSession, strangerSession),
		Entries:  seededStaging(t),
		Clusters: func() (ClusterFile, error) { return twinClusters, nil },
		Log:      log,
	}
	staging := TokenReviewPath + "222222222222/ap-southeast-2/demo-staging"

	got := review(t, reviewer, staging, token(t, deployRoleSession, "demo-staging"))
	if !got.Authenticated || got.User.Username != "arn:aws:sts::222222222222:assumed-role/demo-staging-ci-deploy-eks/gha-run-1" ||
		!slices.Equal(got.User.Groups, []string{"ci-deployers", "eks-access-policy:AmazonEKSEditPolicy:demo"}) ||
		got.User.Extra["canonicalArn"][0] != deployRoleARN || got.User.Extra["accessKeyId"][0] != deployRoleSession.AccessKeyID {
		t.Errorf("deploy role: %+v", got)
	}

	// The entry names the role with its path; the session ARN has none: still the same role.
	got = review(t, reviewer, staging, token(t, planRoleSession, "demo-staging"))
	if !got.Authenticated || !slices.Equal(got.User.Groups, []string{"eks-access-policy:AmazonEKSViewPolicy"}) ||
		got.User.Username != "arn:aws:sts::222222222222:assumed-role/demo-staging-ci-plan/drift-main" {
		t.Errorf("plan role: %+v", got)
	}

	got = review(t, reviewer, staging, token(t, strangerSession, "demo-staging"))
	if got.Authenticated || !strings.Contains(got.Error, "arn:aws:iam::222222222222:role/demo-staging-ci-build (signed as arn:aws:sts::222222222222:assumed-role/demo-staging-ci-build/run-7) has no access entry in the EKS cluster demo-staging") {
		t.Errorf("role without an access entry: %+v", got)
	}

	// A token made for staging does not open production, and production has no entries anyway.
	got = review(t, reviewer, TokenReviewPath+"333333333333/ap-southeast-2/demo-production", token(t, deployRoleSession, "demo-staging"))
	if got.Authenticated || !strings.Contains(got.Error, "another cluster than demo-production") {
		t.Errorf("staging token at production: %+v", got)
	}
	got = review(t, reviewer, TokenReviewPath+"222222222222/ap-southeast-2/demo-nowhere", token(t, deployRoleSession, "demo-nowhere"))
	if got.Authenticated || !strings.Contains(got.Error, "no twin cluster demo-nowhere") {
		t.Errorf("unknown cluster: %+v", got)
	}
	got = review(t, reviewer, staging, "a-static-token-from-somewhere")
	if got.Authenticated || !strings.Contains(got.Error, "does not start with k8s-aws-v1.") {
		t.Errorf("other token: %+v", got)
	}

	d := log.Decisions()
	if len(d) != 6 || !d[0].Authenticated || d[2].Authenticated || d[2].CallerARN != strangerSession.Principal || !strings.Contains(d[2].Reason, "no access entry") {
		t.Errorf("decisions = %+v", d)
	}
	rec := httptest.NewRecorder()
	log.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, DecisionsPath, nil))
	var served []Decision
	if err := json.Unmarshal(rec.Body.Bytes(), &served); err != nil || len(served) != 6 {
		t.Errorf("GET %s = %s (%v)", DecisionsPath, rec.Body, err)
	}
}

func TestTokenReviewURL(t *testing.T) {
	got := TokenReviewURL("http://127.0.0.1:4566/", stagingRef())
	if got != "http://127.0.0.1:4566/_twin/eks/token-review/222222222222/ap-southeast-2/demo-staging" {
		t.Errorf("TokenReviewURL = %s", got)
	}
}

func TestPolicyBindings(t *testing.T) {
	crbs := ClusterPolicyBindings()
	if len(crbs) != 4 || crbs[0].RoleRef.Name != "cluster-admin" || crbs[0].Subjects[0].Name != "eks-access-policy:AmazonEKSClusterAdminPolicy" {
		t.Errorf("cluster bindings = %+v", crbs)
	}
	rbs := NamespacePolicyBindings("demo")
	if len(rbs) != 4 || rbs[2].Namespace != "demo" || rbs[2].RoleRef.Name != "edit" || rbs[2].Subjects[0].Name != "eks-access-policy:AmazonEKSEditPolicy:demo" ||
		rbs[2].Name != "eks-access-policy:amazonekseditpolicy" {
		t.Errorf("namespace bindings = %+v", rbs)
	}
}

func TestParsePrincipal(t *testing.T) {
	cases := map[string]string{
		"arn:aws:iam::222222222222:role/ci/deploy":                  "arn:aws:iam::222222222222:role/ci/deploy",
		"arn:aws:iam::222222222222:role/deploy":                     "arn:aws:iam::222222222222:role/deploy",
		"arn:aws:sts::222222222222:assumed-role/deploy/session-1":   "arn:aws:iam::222222222222:role/deploy",
		"arn:aws:iam::222222222222:user/alice":                      "arn:aws:iam::222222222222:user/alice",
		"arn:aws:iam::222222222222:root":                            "arn:aws:iam::222222222222:root",
		"arn:aws-cn:sts::222222222222:assumed-role/deploy/session1": "arn:aws-cn:iam::222222222222:role/deploy",
	}
	for in, want := range cases {
		p, err := ParsePrincipal(in)
		if err != nil || p.IAMARN() != want {
			t.Errorf("ParsePrincipal(%s).IAMARN() = %s, %v; want %s", in, p.IAMARN(), err, want)
		}
	}
	for _, bad := range []string{"", "arn:aws:iam::12:role/x", "arn:aws:s3:::bucket", "arn:aws:sts::222222222222:assumed-role/x", "arn:aws:iam::222222222222:role/"} {
		if _, err := ParsePrincipal(bad); err == nil {
			t.Errorf("ParsePrincipal(%q) accepted", bad)
		}
	}
	a, _ := ParsePrincipal("arn:aws:iam::222222222222:role/ci/deploy")
	b, _ := ParsePrincipal("arn:aws:sts::222222222222:assumed-role/deploy/s")
	c, _ := ParsePrincipal("arn:aws:sts::333333333333:assumed-role/deploy/s")
	if !a.Same(b) || a.Same(c) {
		t.Error("Same: a role and its session are the same identity, another account's role is not")
	}
}
