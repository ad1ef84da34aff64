// Package kms is an in-memory stand-in of the KMS signing operations (GetPublicKey, Sign) for unit
// tests: ECC_NIST_P256 SIGN_VERIFY keys addressed by key id, key ARN, alias name or alias ARN, with the
// checks KMS makes on a Sign request. MisSignDigests reproduces moto 5.2.1's defect (it hashes a
// MessageType=DIGEST message again), so tests can prove that signers notice it.
package kms

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"fmt"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
)

// KMS holds keys of one account and region.
type KMS struct {
	Account, Region string
	// MisSignDigests makes Sign hash a DIGEST message again before signing (moto 5.2.1's defect).
	MisSignDigests bool

	mu      sync.Mutex
	keys    map[string]*ecdsa.PrivateKey // by key id
	aliases map[string]string            // alias name → key id
	// Calls counts requests by operation.
	Calls map[string]int
}

// New is an empty KMS of account in region.
func New(account, region string) *KMS {
	return &KMS{Account: account, Region: region, keys: map[string]*ecdsa.PrivateKey{}, aliases: map[string]string{}, Calls: map[string]int{}}
}

// CreateSigningKey creates an ECC_NIST_P256 key with an alias ("alias/<name>") and returns its key ARN.
func (k *KMS) CreateSigningKey(alias string) string {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	id := fmt.Sprintf("%08x-0000-4000-8000-%012x", len(k.keys)+1, len(k.keys)+1)
	k.keys[id] = priv
	if alias != "" {
		k.aliases[alias] = id
	}
	return k.keyARN(id)
}

// PrivateKey returns a key's private half (tests that sign outside KMS, e.g. a foreign signer).
func (k *KMS) PrivateKey(keyID string) *ecdsa.PrivateKey {
	k.mu.Lock()
	defer k.mu.Unlock()
	id, err := k.resolve(keyID)
	if err != nil {
		return nil
	}
	return k.keys[id]
}

func (k *KMS) keyARN(id string) string {
	return fmt.Sprintf("arn:aws:kms:%s:%s:key/%s", k.Region, k.Account, id)
}

// resolve maps a key id, key ARN, alias name or alias ARN of this account to a key id.
func (k *KMS) resolve(keyID string) (string, error) {
	ref := keyID
	if strings.HasPrefix(ref, "arn:") {
		parts := strings.SplitN(ref, ":", 6)
		if len(parts) != 6 || parts[4] != k.Account || parts[3] != k.Region {
			return "", &kmstypes.NotFoundException{Message: aws.String("Invalid arn " + keyID)}
		}
		ref = parts[5]
	}
	switch {
	case strings.HasPrefix(ref, "alias/"):
		id, ok := k.aliases[ref]
		if !ok {
			return "", &kmstypes.NotFoundException{Message: aws.String("Alias " + keyID + " is not found.")}
		}
		return id, nil
	case strings.HasPrefix(ref, "key/"):
		ref = strings.TrimPrefix(ref, "key/")
	}
	if _, ok := k.keys[ref]; !ok {
		return "", &kmstypes.NotFoundException{Message: aws.String("Key '" + keyID + "' does not exist")}
	}
	return ref, nil
}

// GetPublicKey answers as KMS does for an ECC_NIST_P256 SIGN_VERIFY key.
func (k *KMS) GetPublicKey(_ context.Context, in *awskms.GetPublicKeyInput, _ ...func(*awskms.Options)) (*awskms.GetPublicKeyOutput, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.Calls["GetPublicKey"]++
	id, err := k.resolve(aws.ToString(in.KeyId))
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKIXPublicKey(&k.keys[id].PublicKey)
	if err != nil {
		return nil, err
	}
	return &awskms.GetPublicKeyOutput{
		KeyId: aws.String(k.keyARN(id)), PublicKey: der, KeySpec: kmstypes.KeySpecEccNistP256,
		KeyUsage: kmstypes.KeyUsageTypeSignVerify, SigningAlgorithms: []kmstypes.SigningAlgorithmSpec{kmstypes.SigningAlgorithmSpecEcdsaSha256},
	}, nil
}

// Sign answers as KMS does: DIGEST messages must be 32 bytes for ECDSA_SHA_256, RAW ones are hashed.
func (k *KMS) Sign(_ context.Context, in *awskms.SignInput, _ ...func(*awskms.Options)) (*awskms.SignOutput, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.Calls["Sign"]++
	id, err := k.resolve(aws.ToString(in.KeyId))
	if err != nil {
		return nil, err
	}
	if in.SigningAlgorithm != kmstypes.SigningAlgorithmSpecEcdsaSha256 {
		return nil, &kmstypes.InvalidKeyUsageException{Message: aws.String(fmt.Sprintf("Algorithm %s is incompatible with key spec ECC_NIST_P256.", in.SigningAlgorithm))}
	}
	digest := in.Message
	switch in.MessageType {
	case kmstypes.MessageTypeDigest:
		if len(digest) != sha256.Size {
			return nil, fmt.Errorf("ValidationException: Digest is invalid length for algorithm ECDSA_SHA_256")
		}
		if k.MisSignDigests {
			sum := sha256.Sum256(digest)
			digest = sum[:]
		}
	default:
		sum := sha256.Sum256(in.Message)
		digest = sum[:]
	}
	sig, err := ecdsa.SignASN1(rand.Reader, k.keys[id], digest)
	if err != nil {
		return nil, err
	}
	return &awskms.SignOutput{KeyId: aws.String(k.keyARN(id)), Signature: sig, SigningAlgorithm: in.SigningAlgorithm}, nil
}
