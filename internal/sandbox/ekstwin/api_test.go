package ekstwin

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awscreds "github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/smithy-go"

	"github.com/platformteam/delivery/internal/sandbox/awsfront/sigv4"
)

const (
	stagingAdminKey = "AKIASTAGINGADMIN0001"
	prodAdminKey    = "AKIAPRODADMIN0000001"
	stagingReadKey  = "AKIASTAGINGREADONLY1"
	deployRoleARN   = "arn:aws:iam::222222222222:role/demo-staging-ci-deploy-eks"
	editPolicyARN   = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy"
	viewPolicyARN   = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"
)

// fakeIAM stands for the AWS front's authorizer: it knows three keys; the read-only one may only
// call List*/Describe*.
type fakeIAM struct{}

func (fakeIAM) Authenticate(r *http.Request, _ []byte) (Caller, error) {
	auth, _ := sigv4.Parse(r)
	key := auth.AccessKeyID
	account := map[string]string{stagingAdminKey: "222222222222", stagingReadKey: "222222222222", prodAdminKey: "333333333333"}[key]
	if account == "" {
		return Caller{}, &APIError{http.StatusForbidden, "UnrecognizedClientException", "The security token included in the request is invalid."}
	}
	return Caller{AccessKeyID: key, Account: account}, nil
}

func (fakeIAM) Allowed(c Caller, action, resource string) error {
	op := strings.TrimPrefix(action, "eks:")
	if c.AccessKeyID == stagingReadKey && !strings.HasPrefix(op, "List") && !strings.HasPrefix(op, "Describe") {
		return &APIError{http.StatusForbidden, "AccessDeniedException", "User is not authorized to perform: " + action + " on resource: " + resource}
	}
	return nil
}

var twinClusters = ClusterFile{Clusters: []TwinCluster{
	{ClusterRef: ClusterRef{Partition: "aws", Account: "222222222222", Region: "ap-southeast-2", Name: "demo-staging"}, Endpoint: "https://127.0.0.1:7444", CAPEM: []byte("staging CA")},
	{ClusterRef: ClusterRef{Partition: "aws", Account: "333333333333", Region: "ap-southeast-2", Name: "demo-production"}, Endpoint: "https://127.0.0.1:7445", CAPEM: []byte("production CA")},
}}

func stagingRef() ClusterRef { return twinClusters.Clusters[0].ClusterRef }

func apiClient(t *testing.T, entries *AccessEntries, key string) *eks.Client {
	t.Helper()
	api := &API{Entries: entries, Clusters: func() (ClusterFile, error) { return twinClusters, nil }, Authorizer: fakeIAM{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !IsAccessAPI(r) {
			http.Error(w, "not routed to the access entries API: "+r.URL.Path, http.StatusTeapot)
			return
		}
		api.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return eks.NewFromConfig(aws.Config{
		Region: "ap-southeast-2", BaseEndpoint: aws.String(srv.URL),
		Credentials: awscreds.NewStaticCredentialsProvider(key, "secret", ""),
	})
}

func apiCode(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return ""
}

func TestAccessEntriesAPIThroughTheSDK(t *testing.T) {
	ctx := context.Background()
	entries, err := OpenAccessEntries(filepath.Join(t.TempDir(), "access-entries.json"))
	if err != nil {
		t.Fatal(err)
	}
	c := apiClient(t, entries, stagingAdminKey)
	cluster := aws.String("demo-staging")

	created, err := c.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: cluster, PrincipalArn: aws.String(deployRoleARN),
		KubernetesGroups: []string{"ci-deployers"}})
	if err != nil {
		t.Fatalf("CreateAccessEntry: %v", err)
	}
	e := created.AccessEntry
	if aws.ToString(e.PrincipalArn) != deployRoleARN || !slices.Equal(e.KubernetesGroups, []string{"ci-deployers"}) || aws.ToString(e.Type) != "STANDARD" ||
		!strings.HasPrefix(aws.ToString(e.AccessEntryArn), "arn:aws:eks:ap-southeast-2:222222222222:access-entry/demo-staging/role/222222222222/demo-staging-ci-deploy-eks/") ||
		aws.ToString(e.Username) != "arn:aws:sts::222222222222:assumed-role/demo-staging-ci-deploy-eks/{{SessionName}}" || e.CreatedAt == nil {
		t.Errorf("created entry = %+v", e)
	}
	if _, err := c.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: cluster, PrincipalArn: aws.String(deployRoleARN)}); apiCode(err) != "ResourceInUseException" {
		t.Errorf("second CreateAccessEntry: %v, want ResourceInUseException", err)
	}
	assoc, err := c.AssociateAccessPolicy(ctx, &eks.AssociateAccessPolicyInput{ClusterName: cluster, PrincipalArn: aws.String(deployRoleARN),
		PolicyArn: aws.String(editPolicyARN), AccessScope: &ekstypes.AccessScope{Type: ekstypes.AccessScopeTypeNamespace, Namespaces: []string{"demo"}}})
	if err != nil {
		t.Fatalf("AssociateAccessPolicy: %v", err)
	}
	if p := assoc.AssociatedAccessPolicy; aws.ToString(p.PolicyArn) != editPolicyARN || p.AccessScope.Type != ekstypes.AccessScopeTypeNamespace || !slices.Equal(p.AccessScope.Namespaces, []string{"demo"}) {
		t.Errorf("association = %+v", p)
	}
	listed, err := c.ListAccessEntries(ctx, &eks.ListAccessEntriesInput{ClusterName: cluster, AssociatedPolicyArn: aws.String(editPolicyARN)})
	if err != nil || !slices.Equal(listed.AccessEntries, []string{deployRoleARN}) {
		t.Errorf("ListAccessEntries(edit) = %v, %v", listed, err)
	}
	if listed, err := c.ListAccessEntries(ctx, &eks.ListAccessEntriesInput{ClusterName: cluster, AssociatedPolicyArn: aws.String(viewPolicyARN)}); err != nil || len(listed.AccessEntries) != 0 {
		t.Errorf("ListAccessEntries(view) = %v, %v", listed, err)
	}
	policies, err := c.ListAssociatedAccessPolicies(ctx, &eks.ListAssociatedAccessPoliciesInput{ClusterName: cluster, PrincipalArn: aws.String(deployRoleARN)})
	if err != nil || len(policies.AssociatedAccessPolicies) != 1 || aws.ToString(policies.AssociatedAccessPolicies[0].PolicyArn) != editPolicyARN {
		t.Errorf("ListAssociatedAccessPolicies = %+v, %v", policies, err)
	}
	described, err := c.DescribeAccessEntry(ctx, &eks.DescribeAccessEntryInput{ClusterName: cluster, PrincipalArn: aws.String(deployRoleARN)})
	if err != nil || aws.ToString(described.AccessEntry.AccessEntryArn) != aws.ToString(e.AccessEntryArn) {
		t.Errorf("DescribeAccessEntry = %+v, %v", described, err)
	}
	updated, err := c.UpdateAccessEntry(ctx, &eks.UpdateAccessEntryInput{ClusterName: cluster, PrincipalArn: aws.String(deployRoleARN), KubernetesGroups: []string{"ci-deployers", "auditors"}})
	if err != nil || !slices.Equal(updated.AccessEntry.KubernetesGroups, []string{"ci-deployers", "auditors"}) {
		t.Errorf("UpdateAccessEntry = %+v, %v", updated, err)
	}

	// The store survives a restart of the front (same file).
	reopened, err := OpenAccessEntries(entries.path)
	if err != nil {
		t.Fatal(err)
	}
	if got := reopened.List(stagingRef(), editPolicyARN); !slices.Equal(got, []string{deployRoleARN}) {
		t.Errorf("after reopening: %v", got)
	}

	if _, err := c.DisassociateAccessPolicy(ctx, &eks.DisassociateAccessPolicyInput{ClusterName: cluster, PrincipalArn: aws.String(deployRoleARN), PolicyArn: aws.String(editPolicyARN)}); err != nil {
		t.Errorf("DisassociateAccessPolicy: %v", err)
	}
	if _, err := c.DeleteAccessEntry(ctx, &eks.DeleteAccessEntryInput{ClusterName: cluster, PrincipalArn: aws.String(deployRoleARN)}); err != nil {
		t.Errorf("DeleteAccessEntry: %v", err)
	}
	if _, err := c.DescribeAccessEntry(ctx, &eks.DescribeAccessEntryInput{ClusterName: cluster, PrincipalArn: aws.String(deployRoleARN)}); apiCode(err) != "ResourceNotFoundException" {
		t.Errorf("DescribeAccessEntry after delete: %v, want ResourceNotFoundException", err)
	}
	all, err := c.ListAccessPolicies(ctx, &eks.ListAccessPoliciesInput{})
	if err != nil || len(all.AccessPolicies) != len(AccessPolicies) || aws.ToString(all.AccessPolicies[2].Arn) != editPolicyARN {
		t.Errorf("ListAccessPolicies = %+v, %v", all, err)
	}
}

func TestAccessEntriesAPIRefuses(t *testing.T) {
	ctx := context.Background()
	entries, _ := OpenAccessEntries("")
	admin := apiClient(t, entries, stagingAdminKey)
	if _, err := admin.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: aws.String("demo-staging"), PrincipalArn: aws.String(deployRoleARN)}); err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		client *eks.Client
		call   func(c *eks.Client) error
		code   string
		want   string
	}{
		"read-only caller creates": {apiClient(t, entries, stagingReadKey), func(c *eks.Client) error {
			_, err := c.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: aws.String("demo-staging"), PrincipalArn: aws.String("arn:aws:iam::222222222222:role/x")})
			return err
		}, "AccessDeniedException", "eks:CreateAccessEntry"},
		"other account's cluster": {apiClient(t, entries, prodAdminKey), func(c *eks.Client) error {
			_, err := c.ListAccessEntries(ctx, &eks.ListAccessEntriesInput{ClusterName: aws.String("demo-staging")})
			return err
		}, "ResourceNotFoundException", "No cluster found for name: demo-staging"},
		"unknown caller": {apiClient(t, entries, "AKIANOBODY0000000000"), func(c *eks.Client) error {
			_, err := c.ListAccessEntries(ctx, &eks.ListAccessEntriesInput{ClusterName: aws.String("demo-staging")})
			return err
		}, "UnrecognizedClientException", "invalid"},
		"assumed-role principal": {admin, func(c *eks.Client) error {
			_, err := c.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: aws.String("demo-staging"), PrincipalArn: aws.String("arn:aws:sts::222222222222:assumed-role/x/s")})
			return err
		}, "InvalidParameterException", "must be an IAM role or IAM user ARN"},
		"system group": {admin, func(c *eks.Client) error {
			_, err := c.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: aws.String("demo-staging"), PrincipalArn: aws.String("arn:aws:iam::222222222222:role/y"), KubernetesGroups: []string{"system:masters"}})
			return err
		}, "InvalidParameterException", "reserved prefix"},
		"unknown policy": {admin, func(c *eks.Client) error {
			_, err := c.AssociateAccessPolicy(ctx, &eks.AssociateAccessPolicyInput{ClusterName: aws.String("demo-staging"), PrincipalArn: aws.String(deployRoleARN),
				PolicyArn: aws.String("arn:aws:eks::aws:cluster-access-policy/AmazonEKSNothingPolicy"), AccessScope: &ekstypes.AccessScope{Type: ekstypes.AccessScopeTypeCluster}})
			return err
		}, "InvalidParameterException", "not an EKS access policy"},
		"namespace scope without namespaces": {admin, func(c *eks.Client) error {
			_, err := c.AssociateAccessPolicy(ctx, &eks.AssociateAccessPolicyInput{ClusterName: aws.String("demo-staging"), PrincipalArn: aws.String(deployRoleARN),
				PolicyArn: aws.String(editPolicyARN), AccessScope: &ekstypes.AccessScope{Type: ekstypes.AccessScopeTypeNamespace}})
			return err
		}, "InvalidParameterException", "at least one namespace"},
		"wildcard namespace": {admin, func(c *eks.Client) error {
			_, err := c.AssociateAccessPolicy(ctx, &eks.AssociateAccessPolicyInput{ClusterName: aws.String("demo-staging"), PrincipalArn: aws.String(deployRoleARN),
				PolicyArn: aws.String(editPolicyARN), AccessScope: &ekstypes.AccessScope{Type: ekstypes.AccessScopeTypeNamespace, Namespaces: []string{"demo-*"}}})
			return err
		}, "InvalidParameterException", "does not support wildcard"},
		"policy of an entry that does not exist": {admin, func(c *eks.Client) error {
			_, err := c.ListAssociatedAccessPolicies(ctx, &eks.ListAssociatedAccessPoliciesInput{ClusterName: aws.String("demo-staging"), PrincipalArn: aws.String("arn:aws:iam::222222222222:role/nobody")})
			return err
		}, "ResourceNotFoundException", "no access entry for arn:aws:iam::222222222222:role/nobody"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			err := c.call(c.client)
			if apiCode(err) != c.code || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error = %v; want %s containing %q", err, c.code, c.want)
			}
		})
	}
}

func TestRewriteDescribeCluster(t *testing.T) {
	moto := []byte(`{"cluster":{"name":"demo-staging","arn":"arn:aws:eks:ap-southeast-2:222222222222:cluster/demo-staging","endpoint":"https://invented.eks.amazonaws.com",` +
		`"certificateAuthority":{"data":"aW52ZW50ZWQ="},"status":"ACTIVE","version":"1.37","roleArn":"arn:aws:iam::222222222222:role/r"}}`)
	out, changed, err := RewriteDescribeCluster(moto, "222222222222", "ap-southeast-2", twinClusters)
	if err != nil || !changed {
		t.Fatalf("rewrite: changed=%v err=%v", changed, err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(out) }))
	defer srv.Close()
	c := eks.NewFromConfig(aws.Config{Region: "ap-southeast-2", BaseEndpoint: aws.String(srv.URL), Credentials: awscreds.NewStaticCredentialsProvider("k", "s", "")})
	got, err := c.DescribeCluster(context.Background(), &eks.DescribeClusterInput{Name: aws.String("demo-staging")})
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := base64.StdEncoding.DecodeString(aws.ToString(got.Cluster.CertificateAuthority.Data))
	if aws.ToString(got.Cluster.Endpoint) != "https://127.0.0.1:7444" || string(ca) != "staging CA" || aws.ToString(got.Cluster.Version) != "1.37" ||
		got.Cluster.AccessConfig == nil || got.Cluster.AccessConfig.AuthenticationMode != ekstypes.AuthenticationModeApi {
		t.Errorf("DescribeCluster after rewrite = %+v", got.Cluster)
	}
	// Another account's cluster of the same name, or a cluster the sandbox runs no API server for,
	// keeps moto's answer.
	if _, changed, _ := RewriteDescribeCluster(moto, "333333333333", "ap-southeast-2", twinClusters); changed {
		t.Error("the production account's DescribeCluster of demo-staging was rewritten")
	}
}
