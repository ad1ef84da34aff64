package eksauth

import (
	"context"
	"encoding/base64"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func testConfig() aws.Config {
	return aws.Config{Region: "ap-southeast-2", Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "")}
}

func TestNewTokenIsPresignedGetCallerIdentityBoundToCluster(t *testing.T) {
	now := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	tok, err := NewToken(context.Background(), testConfig(), "demo", now)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tok.Value, TokenPrefix) || tok.Expiration != now.Add(14*time.Minute) {
		t.Fatalf("token %q expires %v", tok.Value[:20], tok.Expiration)
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(tok.Value, TokenPrefix))
	if err != nil {
		t.Fatalf("token body is not unpadded base64url: %v", err)
	}
	u, err := url.Parse(string(raw))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if q.Get("Action") != "GetCallerIdentity" || q.Get("X-Amz-Expires") != "60" || q.Get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256" {
		t.Fatalf("query %v", q)
	}
	if !strings.Contains(q.Get("X-Amz-SignedHeaders"), ClusterIDHeader) || !strings.Contains(q.Get("X-Amz-Credential"), "AKIDEXAMPLE/") ||
		!strings.Contains(q.Get("X-Amz-Credential"), "/ap-southeast-2/sts/") || q.Get("X-Amz-Signature") == "" {
		t.Fatalf("not signed for the cluster header / region: %v", q)
	}
	if strings.Contains(tok.Value, "secret") {
		t.Fatal("secret key leaked into the token")
	}
}

func TestNewTokenNeedsCluster(t *testing.T) {
	if _, err := NewToken(context.Background(), testConfig(), "", time.Now()); err == nil {
		t.Fatal("want error")
	}
}

type fakeEKS struct {
	out *eks.DescribeClusterOutput
	err error
}

func (f fakeEKS) DescribeCluster(context.Context, *eks.DescribeClusterInput, ...func(*eks.Options)) (*eks.DescribeClusterOutput, error) {
	return f.out, f.err
}

func TestKubeconfigFromDescribeCluster(t *testing.T) {
	ca := base64.StdEncoding.EncodeToString([]byte("-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n"))
	api := fakeEKS{out: &eks.DescribeClusterOutput{Cluster: &ekstypes.Cluster{Name: aws.String("demo"), Status: ekstypes.ClusterStatusActive,
		Endpoint: aws.String("https://127.0.0.1:6443"), CertificateAuthority: &ekstypes.Certificate{Data: aws.String(ca)}}}}
	kc, tok, err := Kubeconfig(context.Background(), testConfig(), api, "demo")
	if err != nil {
		t.Fatal(err)
	}
	if kc.CurrentContext != "demo" || kc.Clusters["demo"].Server != "https://127.0.0.1:6443" || !strings.Contains(string(kc.Clusters["demo"].CertificateAuthorityData), "BEGIN CERTIFICATE") {
		t.Fatalf("kubeconfig %+v", kc.Clusters["demo"])
	}
	if kc.AuthInfos["demo"].Token != tok.Value {
		t.Fatal("token not in kubeconfig")
	}
}

func TestKubeconfigErrors(t *testing.T) {
	_, _, err := Kubeconfig(context.Background(), testConfig(), fakeEKS{err: &ekstypes.ResourceNotFoundException{Message: aws.String("No cluster found")}}, "nope")
	if err == nil || !strings.Contains(err.Error(), "EKS cluster nope not found in ap-southeast-2") {
		t.Fatalf("want not-found error, got %v", err)
	}
	_, _, err = Kubeconfig(context.Background(), testConfig(), fakeEKS{out: &eks.DescribeClusterOutput{Cluster: &ekstypes.Cluster{Status: ekstypes.ClusterStatusCreating}}}, "demo")
	if err == nil || !strings.Contains(err.Error(), "no endpoint yet") {
		t.Fatalf("want not-ready error, got %v", err)
	}
}

type fakeSTS struct{ arn string }

func (f fakeSTS) GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
	if f.arn == "" {
		return nil, errors.New("sts down")
	}
	return &sts.GetCallerIdentityOutput{Arn: aws.String(f.arn)}, nil
}

func TestExplainUnauthorized(t *testing.T) {
	unauthorized := apierrors.NewUnauthorized("Unauthorized")
	err := ExplainUnauthorized(context.Background(), fakeSTS{arn: "arn:aws:sts::222222222222:assumed-role/x/s"}, "demo-staging", unauthorized)
	if !errors.Is(err, ErrUnauthorized) || !strings.Contains(err.Error(), "EKS cluster demo-staging answered 401 Unauthorized to arn:aws:sts::222222222222:assumed-role/x/s: give it an access entry") {
		t.Errorf("explained: %v", err)
	}
	if err := ExplainUnauthorized(context.Background(), fakeSTS{}, "demo-staging", unauthorized); !strings.Contains(err.Error(), "to the AWS identity in use") {
		t.Errorf("without STS: %v", err)
	}
	forbidden := apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "x", errors.New("no"))
	if err := ExplainUnauthorized(context.Background(), fakeSTS{arn: "a"}, "c", forbidden); err != forbidden {
		t.Errorf("a 403 is not a 401: %v", err)
	}
}
