package kms_test

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"

	fakekms "github.com/platformteam/delivery/internal/fake/kms"
	"github.com/platformteam/delivery/pkg/supplychain/signing"
)

func TestTheSDKSignsThroughTheHTTPFake(t *testing.T) {
	k := fakekms.New("123456789012", "ap-southeast-2")
	arn := k.CreateSigningKey("alias/http")
	srv := httptest.NewServer(k)
	defer srv.Close()
	client := awskms.NewFromConfig(aws.Config{Region: "ap-southeast-2", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")})
	s, err := signing.NewKMSSigner(context.Background(), client, "alias/http")
	if err != nil {
		t.Fatal(err)
	}
	sig, err := s.Sign(context.Background(), []byte("payload"))
	if err != nil || !s.PublicKey().Verify([]byte("payload"), sig) || s.PublicKey().Source != arn {
		t.Fatalf("sign over HTTP: %v", err)
	}
	if _, err := signing.NewKMSSigner(context.Background(), client, "alias/none"); err == nil {
		t.Fatal("a missing key was found")
	}
}
