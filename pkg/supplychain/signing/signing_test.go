package signing_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"

	fakekms "github.com/platformteam/delivery/internal/fake/kms"
	"github.com/platformteam/delivery/pkg/supplychain/signing"
)

func TestKMSSignerSignsTheDigestAndVerifiesWithThePublicKeyAlone(t *testing.T) {
	ctx := context.Background()
	k := fakekms.New("222222222222", "ap-southeast-2")
	arn := k.CreateSigningKey("alias/demo-app-staging-signing")

	for _, id := range []string{"alias/demo-app-staging-signing", arn, "arn:aws:kms:ap-southeast-2:222222222222:alias/demo-app-staging-signing"} {
		s, err := signing.NewKMSSigner(ctx, k, id)
		if err != nil {
			t.Fatalf("NewKMSSigner(%s): %v", id, err)
		}
		if s.PublicKey().Source != arn {
			t.Errorf("key %s: source %q, want the key ARN %q", id, s.PublicKey().Source, arn)
		}
		payload := []byte(`{"critical":{}}`)
		sig, err := s.Sign(ctx, payload)
		if err != nil {
			t.Fatalf("Sign: %v", err)
		}
		// Verify with nothing but the PEM of the public key, as `cosign verify --key key.pub` would.
		pemBytes, err := s.PublicKey().PEM()
		if err != nil {
			t.Fatal(err)
		}
		pub, err := signing.ParsePublicKeyPEM("key.pub", pemBytes)
		if err != nil {
			t.Fatal(err)
		}
		digest := sha256.Sum256(payload)
		if !ecdsa.VerifyASN1(pub.Key, digest[:], sig) {
			t.Fatal("signature does not verify with crypto/ecdsa and the public key")
		}
		if !pub.Verify(payload, sig) || pub.Verify([]byte("other"), sig) {
			t.Fatal("PublicKey.Verify accepts the wrong payload or rejects the right one")
		}
		if !pub.Equal(s.PublicKey()) || pub.Fingerprint() != s.PublicKey().Fingerprint() || len(pub.Fingerprint()) != 64 {
			t.Fatalf("the key read back from PEM differs: %s vs %s", pub.Fingerprint(), s.PublicKey().Fingerprint())
		}
	}
	if k.Calls["Sign"] != 3 {
		t.Errorf("KMS Sign called %d times, want 3", k.Calls["Sign"])
	}
}

func TestKMSSignerRefusesAKMSThatHashesTheDigestAgain(t *testing.T) {
	ctx := context.Background()
	k := fakekms.New("123456789012", "ap-southeast-2")
	k.MisSignDigests = true
	k.CreateSigningKey("alias/x")
	s, err := signing.NewKMSSigner(ctx, k, "alias/x")
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Sign(ctx, []byte("payload"))
	if !errors.Is(err, signing.ErrInvalidSignature) || !strings.Contains(err.Error(), "MessageType=DIGEST") {
		t.Fatalf("want ErrInvalidSignature naming DIGEST signing, got %v", err)
	}
}

// keyKMS answers GetPublicKey with whatever key and metadata a test sets.
type keyKMS struct{ out kms.GetPublicKeyOutput }

func (f keyKMS) GetPublicKey(context.Context, *kms.GetPublicKeyInput, ...func(*kms.Options)) (*kms.GetPublicKeyOutput, error) {
	return &f.out, nil
}

func TestKMSPublicKeyRefusesKeysThatDoNotSignImages(t *testing.T) {
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecDER, _ := x509.MarshalPKIXPublicKey(&ec.PublicKey)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p384DER, _ := x509.MarshalPKIXPublicKey(&p384.PublicKey)
	rk, _ := rsa.GenerateKey(rand.Reader, 2048)
	rsaDER, _ := x509.MarshalPKIXPublicKey(&rk.PublicKey)
	good := kms.GetPublicKeyOutput{PublicKey: ecDER, KeySpec: kmstypes.KeySpecEccNistP256, KeyUsage: kmstypes.KeyUsageTypeSignVerify,
		SigningAlgorithms: []kmstypes.SigningAlgorithmSpec{kmstypes.SigningAlgorithmSpecEcdsaSha256}}
	cases := map[string]struct {
		mutate func(o *kms.GetPublicKeyOutput)
		want   string
	}{
		"good":            {func(*kms.GetPublicKeyOutput) {}, ""},
		"encryption key":  {func(o *kms.GetPublicKeyOutput) { o.KeyUsage = kmstypes.KeyUsageTypeEncryptDecrypt }, "key usage ENCRYPT_DECRYPT"},
		"rsa spec":        {func(o *kms.GetPublicKeyOutput) { o.KeySpec = kmstypes.KeySpecRsa2048; o.PublicKey = rsaDER }, "key spec RSA_2048"},
		"no ecdsa sha256": {func(o *kms.GetPublicKeyOutput) { o.SigningAlgorithms = nil }, "ECDSA_SHA_256"},
		"p384 material":   {func(o *kms.GetPublicKeyOutput) { o.PublicKey = p384DER }, "P-384"},
		"rsa material":    {func(o *kms.GetPublicKeyOutput) { o.PublicKey = rsaDER }, "*rsa.PublicKey"},
	}
	for name, c := range cases {
		out := good
		c.mutate(&out)
		_, err := signing.KMSPublicKey(context.Background(), keyKMS{out}, "alias/k")
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", name, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: want an error naming %q, got %v", name, c.want, err)
		}
	}
}

func TestParsePublicKeyPEMErrors(t *testing.T) {
	if _, err := signing.ParsePublicKeyPEM("k.pub", []byte("not pem")); err == nil || !strings.Contains(err.Error(), "BEGIN PUBLIC KEY") {
		t.Errorf("non-PEM: %v", err)
	}
	block := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1}})
	if _, err := signing.ParsePublicKeyPEM("k.pub", block); err == nil || !strings.Contains(err.Error(), `"PRIVATE KEY"`) {
		t.Errorf("private key block: %v", err)
	}
}

func TestCosignKeyRef(t *testing.T) {
	arn := "arn:aws:kms:ap-southeast-2:222222222222:alias/demo-app-staging-signing"
	ref := signing.CosignKeyRef(arn)
	if ref != "awskms:///"+arn {
		t.Fatalf("CosignKeyRef = %s", ref)
	}
	for in, want := range map[string]string{ref: arn, "awskms://localhost:4566/alias/x": "alias/x"} {
		got, err := signing.ParseCosignKeyRef(in)
		if err != nil || got != want {
			t.Errorf("ParseCosignKeyRef(%s) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"alias/x", "awskms://", "awskms:///", "gcpkms://x/y"} {
		if _, err := signing.ParseCosignKeyRef(bad); err == nil {
			t.Errorf("ParseCosignKeyRef(%s) accepted", bad)
		}
	}
}
