// Package signing signs and verifies payloads the way cosign does with a key pair: ECDSA on the NIST
// P-256 curve over the SHA-256 digest of the payload, ASN.1 DER signatures. The private key stays in
// AWS KMS (an asymmetric SIGN_VERIFY key, what cosign calls awskms://); verification needs only the
// public key, read from KMS (GetPublicKey) or from a PEM file.
package signing

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// Signer signs payloads with one key.
type Signer interface {
	// Sign returns the ASN.1 DER ECDSA signature of sha256(payload).
	Sign(ctx context.Context, payload []byte) ([]byte, error)
	// PublicKey is the key that verifies what Sign returns.
	PublicKey() PublicKey
}

// PublicKey is an ECDSA P-256 public key and where it came from.
type PublicKey struct {
	// Source names the key for reports: the KMS key ARN, or the PEM file it was read from.
	Source string
	Key    *ecdsa.PublicKey
}

// Verify reports whether sig is a valid ASN.1 ECDSA signature of sha256(payload) by the key.
func (k PublicKey) Verify(payload, sig []byte) bool {
	if k.Key == nil {
		return false
	}
	digest := sha256.Sum256(payload)
	return ecdsa.VerifyASN1(k.Key, digest[:], sig)
}

// Fingerprint is the SHA-256 of the key's DER (PKIX) encoding, hex: a stable short name for a key.
func (k PublicKey) Fingerprint() string {
	der, err := x509.MarshalPKIXPublicKey(k.Key)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

// Equal reports whether both are the same key, whatever their sources.
func (k PublicKey) Equal(o PublicKey) bool {
	return k.Key != nil && o.Key != nil && k.Key.Equal(o.Key)
}

// PEM is the key as a "PUBLIC KEY" PEM block (what `cosign verify --key <file>` reads).
func (k PublicKey) PEM() ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(k.Key)
	if err != nil {
		return nil, fmt.Errorf("encode public key %s: %w", k.Source, err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// ParsePublicKeyDER reads a PKIX (SubjectPublicKeyInfo) DER public key, as KMS GetPublicKey returns it.
// Only ECDSA P-256 keys are accepted: the signature scheme is fixed (ECDSA_SHA_256).
func ParsePublicKeyDER(source string, der []byte) (PublicKey, error) {
	parsed, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return PublicKey{}, fmt.Errorf("public key %s: %w", source, err)
	}
	key, ok := parsed.(*ecdsa.PublicKey)
	if !ok {
		return PublicKey{}, fmt.Errorf("public key %s is a %T: only ECDSA P-256 keys (KMS key spec ECC_NIST_P256) sign images", source, parsed)
	}
	if key.Curve != elliptic.P256() {
		return PublicKey{}, fmt.Errorf("public key %s is on curve %s: only P-256 (KMS key spec ECC_NIST_P256) signs images", source, key.Curve.Params().Name)
	}
	return PublicKey{Source: source, Key: key}, nil
}

// ParsePublicKeyPEM reads a "PUBLIC KEY" PEM block (as `cosign public-key` writes it).
func ParsePublicKeyPEM(source string, data []byte) (PublicKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return PublicKey{}, fmt.Errorf("public key %s is not PEM: expected a -----BEGIN PUBLIC KEY----- block", source)
	}
	if block.Type != "PUBLIC KEY" {
		return PublicKey{}, fmt.Errorf("public key %s holds a %q PEM block, not PUBLIC KEY", source, block.Type)
	}
	return ParsePublicKeyDER(source, block.Bytes)
}

// CosignKeyRef is how cosign names a KMS key: awskms:///<key id, key ARN, alias name or alias ARN>
// (no endpoint between the slashes: the SDK's default, or AWS_ENDPOINT_URL).
func CosignKeyRef(keyID string) string { return "awskms:///" + keyID }

// ParseCosignKeyRef returns the key id of an awskms:// reference (awskms://[endpoint]/<key id>).
func ParseCosignKeyRef(ref string) (string, error) {
	rest, ok := strings.CutPrefix(ref, "awskms://")
	if !ok {
		return "", fmt.Errorf("key reference %q is not awskms://[endpoint]/<key id or ARN or alias>", ref)
	}
	_, id, ok := strings.Cut(rest, "/")
	if !ok || id == "" {
		return "", fmt.Errorf("key reference %q names no key: awskms:///alias/<name> or awskms:///arn:aws:kms:...", ref)
	}
	return id, nil
}

// ErrInvalidSignature is returned when a signer produced a signature its own public key rejects.
var ErrInvalidSignature = errors.New("the signature does not verify with the key's public key")
