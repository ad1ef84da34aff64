// Package attestation is the signed-statement format every attestation of an image uses: an in-toto
// Statement v1 (subject = the image digest, a typed predicate) inside a DSSE envelope whose signature
// covers the DSSE pre-authentication encoding (PAE) of the statement. This is what `cosign attest`
// writes and `cosign verify-attestation` reads.
package attestation

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/platformteam/delivery/pkg/supplychain/signing"
)

// PayloadType is the DSSE payload type of an in-toto statement.
const PayloadType = "application/vnd.in-toto+json"

// StatementType is the in-toto Statement version written.
const StatementType = "https://in-toto.io/Statement/v1"

// statementTypes are the Statement versions read (cosign still writes v0.1).
var statementTypes = []string{StatementType, "https://in-toto.io/Statement/v0.1"}

// Predicate types the pipeline attaches.
const (
	// PredicateSLSAProvenanceV1 is SLSA build provenance v1 (cosign --type slsaprovenance1).
	PredicateSLSAProvenanceV1 = "https://slsa.dev/provenance/v1"
	// PredicateCycloneDX is a CycloneDX SBOM (cosign --type cyclonedx).
	PredicateCycloneDX = "https://cyclonedx.org/bom"
)

// Subject is what a statement is about: here the image, by its manifest digest.
type Subject struct {
	Name   string            `json:"name"`
	Digest map[string]string `json:"digest"`
}

// Statement is an in-toto statement.
type Statement struct {
	Type          string          `json:"_type"`
	Subject       []Subject       `json:"subject"`
	PredicateType string          `json:"predicateType"`
	Predicate     json.RawMessage `json:"predicate"`
}

// NewStatement is a statement about one image (name: the repository; digest: "sha256:<hex>").
func NewStatement(name, digest, predicateType string, predicate any) (*Statement, error) {
	algo, hex, ok := strings.Cut(digest, ":")
	if !ok || algo != "sha256" || len(hex) != 64 {
		return nil, fmt.Errorf("subject digest %q is not sha256:<64 hex>", digest)
	}
	raw, err := json.Marshal(predicate)
	if err != nil {
		return nil, fmt.Errorf("encode %s predicate: %w", predicateType, err)
	}
	return &Statement{Type: StatementType, Subject: []Subject{{Name: name, Digest: map[string]string{"sha256": hex}}},
		PredicateType: predicateType, Predicate: raw}, nil
}

// HasSubject reports whether the statement names digest ("sha256:<hex>") among its subjects.
func (s *Statement) HasSubject(digest string) bool {
	algo, hex, _ := strings.Cut(digest, ":")
	for _, sub := range s.Subject {
		if v, ok := sub.Digest[algo]; ok && v == hex {
			return true
		}
	}
	return false
}

// Envelope is a DSSE envelope (the JSON cosign stores as an attestation layer).
type Envelope struct {
	PayloadType string `json:"payloadType"`
	// Payload is the base64 (standard encoding) of the statement JSON.
	Payload    string      `json:"payload"`
	Signatures []Signature `json:"signatures"`
}

// Signature is one signature of an envelope; cosign leaves keyid empty for key-pair signatures.
type Signature struct {
	KeyID string `json:"keyid"`
	Sig   string `json:"sig"`
}

// PAE is DSSE's pre-authentication encoding: what is signed.
func PAE(payloadType string, payload []byte) []byte {
	var b bytes.Buffer
	b.WriteString("DSSEv1 ")
	b.WriteString(strconv.Itoa(len(payloadType)))
	b.WriteByte(' ')
	b.WriteString(payloadType)
	b.WriteByte(' ')
	b.WriteString(strconv.Itoa(len(payload)))
	b.WriteByte(' ')
	b.Write(payload)
	return b.Bytes()
}

// Seal signs the statement and returns the envelope's JSON.
func Seal(ctx context.Context, signer signing.Signer, st *Statement) ([]byte, error) {
	body, err := json.Marshal(st)
	if err != nil {
		return nil, fmt.Errorf("encode %s statement: %w", st.PredicateType, err)
	}
	sig, err := signer.Sign(ctx, PAE(PayloadType, body))
	if err != nil {
		return nil, fmt.Errorf("sign %s attestation: %w", st.PredicateType, err)
	}
	return json.Marshal(Envelope{PayloadType: PayloadType, Payload: base64.StdEncoding.EncodeToString(body),
		Signatures: []Signature{{Sig: base64.StdEncoding.EncodeToString(sig)}}})
}

// Errors of Open, for callers that explain them.
var (
	ErrNotInToto    = errors.New("the envelope does not hold an in-toto statement")
	ErrUntrustedKey = errors.New("no signature of the envelope verifies with a trusted key")
)

// Opened is an envelope whose signature verified, with the key that verified it.
type Opened struct {
	Statement *Statement
	Key       signing.PublicKey
}

// Open parses an envelope, checks that one of its signatures verifies with one of keys, and returns
// the statement. The statement is only decoded after a signature verified.
func Open(envelope []byte, keys []signing.PublicKey) (*Opened, error) {
	var env Envelope
	if err := json.Unmarshal(envelope, &env); err != nil {
		return nil, fmt.Errorf("malformed DSSE envelope: %w", err)
	}
	if env.PayloadType != PayloadType {
		return nil, fmt.Errorf("%w: payload type %q, want %q", ErrNotInToto, env.PayloadType, PayloadType)
	}
	body, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil {
		return nil, fmt.Errorf("malformed DSSE envelope: payload is not base64: %w", err)
	}
	pae := PAE(env.PayloadType, body)
	for _, s := range env.Signatures {
		sig, err := base64.StdEncoding.DecodeString(s.Sig)
		if err != nil {
			continue
		}
		for _, k := range keys {
			if !k.Verify(pae, sig) {
				continue
			}
			var st Statement
			if err := json.Unmarshal(body, &st); err != nil {
				return nil, fmt.Errorf("%w: %v", ErrNotInToto, err)
			}
			known := false
			for _, t := range statementTypes {
				known = known || st.Type == t
			}
			if !known {
				return nil, fmt.Errorf("%w: statement type %q", ErrNotInToto, st.Type)
			}
			return &Opened{Statement: &st, Key: k}, nil
		}
	}
	return nil, ErrUntrustedKey
}

// PeekPredicateType reads an envelope's predicate type without verifying anything (for reports about
// attestations no trusted key signed).
func PeekPredicateType(envelope []byte) string {
	var env Envelope
	if json.Unmarshal(envelope, &env) != nil {
		return ""
	}
	body, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil {
		return ""
	}
	var st struct {
		PredicateType string `json:"predicateType"`
	}
	_ = json.Unmarshal(body, &st)
	return st.PredicateType
}
