package signing

import (
	"context"
	"crypto/sha256"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
)

// KMSAPI is the part of the KMS API signing uses.
type KMSAPI interface {
	Sign(ctx context.Context, in *kms.SignInput, optFns ...func(*kms.Options)) (*kms.SignOutput, error)
	GetPublicKey(ctx context.Context, in *kms.GetPublicKeyInput, optFns ...func(*kms.Options)) (*kms.GetPublicKeyOutput, error)
}

// PublicKeyAPI is the part of the KMS API verification uses.
type PublicKeyAPI interface {
	GetPublicKey(ctx context.Context, in *kms.GetPublicKeyInput, optFns ...func(*kms.Options)) (*kms.GetPublicKeyOutput, error)
}

// KMSPublicKey reads the public half of a KMS signing key (key id, key ARN, alias name or alias ARN; a
// key in another account needs its key ARN or alias ARN and a key policy that lets the caller read it)
// and checks that it is a key images are signed with: SIGN_VERIFY, ECC_NIST_P256, ECDSA_SHA_256.
// Source is the key ARN KMS reports.
func KMSPublicKey(ctx context.Context, api PublicKeyAPI, keyID string) (PublicKey, error) {
	if keyID == "" {
		return PublicKey{}, fmt.Errorf("no KMS key id: set signing.key (or signing.trust[].kms) in delivery.yaml")
	}
	out, err := api.GetPublicKey(ctx, &kms.GetPublicKeyInput{KeyId: aws.String(keyID)})
	if err != nil {
		return PublicKey{}, fmt.Errorf("read the public key of KMS key %s: %w", keyID, err)
	}
	source := aws.ToString(out.KeyId)
	if source == "" {
		source = keyID
	}
	if out.KeyUsage != kmstypes.KeyUsageTypeSignVerify {
		return PublicKey{}, fmt.Errorf("KMS key %s has key usage %s: images are signed with a SIGN_VERIFY key", source, out.KeyUsage)
	}
	if out.KeySpec != kmstypes.KeySpecEccNistP256 {
		return PublicKey{}, fmt.Errorf("KMS key %s has key spec %s: images are signed with an ECC_NIST_P256 key (ECDSA_SHA_256, as cosign)", source, out.KeySpec)
	}
	ok := false
	for _, a := range out.SigningAlgorithms {
		ok = ok || a == kmstypes.SigningAlgorithmSpecEcdsaSha256
	}
	if !ok {
		return PublicKey{}, fmt.Errorf("KMS key %s does not offer ECDSA_SHA_256 (it offers %v)", source, out.SigningAlgorithms)
	}
	return ParsePublicKeyDER(source, out.PublicKey)
}

// KMSSigner signs with an asymmetric KMS key, as cosign's AWS KMS signer does: the payload is hashed
// here with SHA-256 and KMS signs the digest (MessageType DIGEST, ECDSA_SHA_256), so the payload itself
// never leaves the process and its size does not matter.
type KMSSigner struct {
	api KMSAPI
	key PublicKey
}

// NewKMSSigner reads the key's public half (which checks that it can sign images) and returns a signer.
func NewKMSSigner(ctx context.Context, api KMSAPI, keyID string) (*KMSSigner, error) {
	key, err := KMSPublicKey(ctx, api, keyID)
	if err != nil {
		return nil, err
	}
	return &KMSSigner{api: api, key: key}, nil
}

// PublicKey is the public half of the KMS key; Source is its key ARN.
func (s *KMSSigner) PublicKey() PublicKey { return s.key }

// Sign signs sha256(payload) with the KMS key and checks the signature against the public key before
// returning it: a KMS (or a stand-in of one) that signs something else fails here, not at deploy time.
func (s *KMSSigner) Sign(ctx context.Context, payload []byte) ([]byte, error) {
	digest := sha256.Sum256(payload)
	out, err := s.api.Sign(ctx, &kms.SignInput{
		KeyId:            aws.String(s.key.Source),
		Message:          digest[:],
		MessageType:      kmstypes.MessageTypeDigest,
		SigningAlgorithm: kmstypes.SigningAlgorithmSpecEcdsaSha256,
	})
	if err != nil {
		hint := ""
		if strings.Contains(err.Error(), "AccessDenied") {
			hint = " (the publishing role needs kms:Sign on this key: modules/iam/policies)"
		}
		return nil, fmt.Errorf("sign with KMS key %s: %w%s", s.key.Source, err, hint)
	}
	if !s.key.Verify(payload, out.Signature) {
		return nil, fmt.Errorf("KMS key %s: %w (KMS must sign the SHA-256 digest it is given with MessageType=DIGEST, not hash it again)", s.key.Source, ErrInvalidSignature)
	}
	return out.Signature, nil
}
