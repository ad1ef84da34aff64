package attestation_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	fakekms "github.com/platformteam/delivery/internal/fake/kms"
	"github.com/platformteam/delivery/pkg/supplychain/attestation"
	"github.com/platformteam/delivery/pkg/supplychain/signing"
)

const digest = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

func signer(t *testing.T, alias string) signing.Signer {
	t.Helper()
	k := fakekms.New("222222222222", "ap-southeast-2")
	k.CreateSigningKey(alias)
	s, err := signing.NewKMSSigner(context.Background(), k, alias)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestPAEMatchesTheDSSESpecification(t *testing.T) {
	// The example of the DSSE protocol document.
	got := string(attestation.PAE("http://example.com/HelloWorld", []byte("hello world")))
	want := "DSSEv1 29 http://example.com/HelloWorld 11 hello world"
	if got != want {
		t.Fatalf("PAE = %q, want %q", got, want)
	}
}

func TestSealAndOpen(t *testing.T) {
	ctx := context.Background()
	s := signer(t, "alias/staging")
	other := signer(t, "alias/other")
	st, err := attestation.NewStatement("127.0.0.1:5002/demo-app", digest, attestation.PredicateSLSAProvenanceV1, map[string]string{"k": "v"})
	if err != nil {
		t.Fatal(err)
	}
	env, err := attestation.Seal(ctx, s, st)
	if err != nil {
		t.Fatal(err)
	}
	// The envelope is what cosign's DSSE wrapper writes: payloadType, base64 payload, signatures[].sig.
	var raw map[string]any
	if err := json.Unmarshal(env, &raw); err != nil {
		t.Fatal(err)
	}
	if raw["payloadType"] != attestation.PayloadType || len(raw["signatures"].([]any)) != 1 {
		t.Fatalf("envelope shape: %s", env)
	}
	body, _ := base64.StdEncoding.DecodeString(raw["payload"].(string))
	if !strings.Contains(string(body), `"_type":"https://in-toto.io/Statement/v1"`) ||
		!strings.Contains(string(body), `"digest":{"sha256":"`+strings.TrimPrefix(digest, "sha256:")+`"}`) {
		t.Fatalf("statement: %s", body)
	}
	if got := attestation.PeekPredicateType(env); got != attestation.PredicateSLSAProvenanceV1 {
		t.Errorf("PeekPredicateType = %q", got)
	}

	opened, err := attestation.Open(env, []signing.PublicKey{other.PublicKey(), s.PublicKey()})
	if err != nil {
		t.Fatalf("Open with the signer's key among the trusted: %v", err)
	}
	if !opened.Key.Equal(s.PublicKey()) || !opened.Statement.HasSubject(digest) || opened.Statement.HasSubject("sha256:"+strings.Repeat("b", 64)) {
		t.Fatalf("opened: key %s, subjects %+v", opened.Key.Source, opened.Statement.Subject)
	}
	var pred map[string]string
	if err := json.Unmarshal(opened.Statement.Predicate, &pred); err != nil || pred["k"] != "v" {
		t.Fatalf("predicate: %s", opened.Statement.Predicate)
	}

	if _, err := attestation.Open(env, []signing.PublicKey{other.PublicKey()}); !errors.Is(err, attestation.ErrUntrustedKey) {
		t.Errorf("Open with a foreign key only: %v", err)
	}

	// A statement changed after signing no longer verifies.
	var e attestation.Envelope
	_ = json.Unmarshal(env, &e)
	e.Payload = base64.StdEncoding.EncodeToString([]byte(strings.Replace(string(body), `"k":"v"`, `"k":"w"`, 1)))
	tampered, _ := json.Marshal(e)
	if _, err := attestation.Open(tampered, []signing.PublicKey{s.PublicKey()}); !errors.Is(err, attestation.ErrUntrustedKey) {
		t.Errorf("Open of a tampered statement: %v", err)
	}
	// So does a payload type changed after signing (it is part of the PAE).
	e.Payload = raw["payload"].(string)
	e.PayloadType = "application/json"
	retyped, _ := json.Marshal(e)
	if _, err := attestation.Open(retyped, []signing.PublicKey{s.PublicKey()}); !errors.Is(err, attestation.ErrNotInToto) {
		t.Errorf("Open of another payload type: %v", err)
	}
}

func TestNewStatementRefusesNonSHA256Digests(t *testing.T) {
	for _, d := range []string{"", "sha512:" + strings.Repeat("a", 64), "sha256:abc"} {
		if _, err := attestation.NewStatement("r", d, attestation.PredicateCycloneDX, 1); err == nil {
			t.Errorf("NewStatement(%q) accepted", d)
		}
	}
}
