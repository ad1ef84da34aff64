package awsfront

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"hash"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/platformteam/delivery/internal/sandbox/iameval"
)

// keyMetadata is the part of KMS DescribeKey's KeyMetadata the front reads.
type keyMetadata struct {
	Arn      string `json:"Arn"`
	KeyState string `json:"KeyState"`
	KeyUsage string `json:"KeyUsage"`
	KeySpec  string `json:"KeySpec"`
}

// kmsKeys holds the private halves of the twin's asymmetric signing keys. moto signs MessageType=DIGEST
// wrongly (it hashes the digest again), and its keys cannot be exported, so the front owns the key
// material of every SIGN_VERIFY key: Sign, Verify and GetPublicKey of those keys are answered here,
// DescribeKey is decided here (key policy and identity policies, another account's key by ARN) and
// answered with moto's metadata; everything else (CreateKey, aliases, policies) stays moto's.
type kmsKeys struct {
	dir  string
	mu   sync.Mutex
	keys map[string]crypto.Signer // by key ARN
}

func newKMSKeys(dir string) *kmsKeys { return &kmsKeys{dir: dir, keys: map[string]crypto.Signer{}} }

// get returns the key material of a key, creating it for its spec on first use (persisted 0600).
func (k *kmsKeys) get(arn string, spec string) (crypto.Signer, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if s, ok := k.keys[arn]; ok {
		return s, nil
	}
	path := filepath.Join(k.dir, strings.NewReplacer(":", "_", "/", "_").Replace(arn)+".pem")
	if data, err := os.ReadFile(path); err == nil {
		block, _ := pem.Decode(data)
		if block == nil {
			return nil, fmt.Errorf("KMS key material %s is not PEM", path)
		}
		parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("KMS key material %s: %w", path, err)
		}
		s, ok := parsed.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("KMS key material %s is not a signing key", path)
		}
		k.keys[arn] = s
		return s, nil
	}
	var s crypto.Signer
	var err error
	switch spec {
	case "ECC_NIST_P256":
		s, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "ECC_NIST_P384":
		s, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case "ECC_NIST_P521":
		s, err = ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	case "RSA_2048":
		s, err = rsa.GenerateKey(rand.Reader, 2048)
	case "RSA_3072":
		s, err = rsa.GenerateKey(rand.Reader, 3072)
	case "RSA_4096":
		s, err = rsa.GenerateKey(rand.Reader, 4096)
	default:
		return nil, fmt.Errorf("the twin does not sign with key spec %s", spec)
	}
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(s)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(k.dir, 0o700); err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return nil, fmt.Errorf("store KMS key material: %w", err)
	}
	k.keys[arn] = s
	return s, nil
}

func (f *Front) registerKMS() {
	for _, op := range []string{"Sign", "Verify", "GetPublicKey", "DescribeKey"} {
		f.HandleOperation("kms", op, f.kmsSigning)
	}
}

// signingAlgorithms per key spec, as KMS lists them.
func signingAlgorithms(spec string) []string {
	switch spec {
	case "ECC_NIST_P256":
		return []string{"ECDSA_SHA_256"}
	case "ECC_NIST_P384":
		return []string{"ECDSA_SHA_384"}
	case "ECC_NIST_P521":
		return []string{"ECDSA_SHA_512"}
	}
	return []string{"RSASSA_PKCS1_V1_5_SHA_256", "RSASSA_PKCS1_V1_5_SHA_384", "RSASSA_PKCS1_V1_5_SHA_512",
		"RSASSA_PSS_SHA_256", "RSASSA_PSS_SHA_384", "RSASSA_PSS_SHA_512"}
}

func algorithmHash(alg string) (crypto.Hash, func() hash.Hash, bool) {
	switch {
	case strings.HasSuffix(alg, "_256"):
		return crypto.SHA256, sha256.New, true
	case strings.HasSuffix(alg, "_384"):
		return crypto.SHA384, sha512.New384, true
	case strings.HasSuffix(alg, "_512"):
		return crypto.SHA512, sha512.New, true
	}
	return 0, nil, false
}

// kmsSigning answers Sign, Verify and GetPublicKey for SIGN_VERIFY keys and sends anything else to moto;
// it answers DescribeKey of any key (what cosign's awskms:// verifier asks first). Each is decided by
// the key policy and the caller's identity policies. A key of another account is named by its key ARN
// or alias ARN, as KMS requires.
func (f *Front) kmsSigning(w http.ResponseWriter, r *http.Request, call *Call) {
	owner, lookup := kmsKeyOwner(call.Account, call.Str("KeyId"))
	key, err := f.describeKey(r.Context(), owner, lookup)
	var notFound *APIError
	switch {
	case errors.As(err, &notFound):
		WriteError(w, call, notFound)
		return
	case err != nil:
		WriteError(w, call, &APIError{Status: http.StatusInternalServerError, Code: "KMSInternalException", Message: err.Error()})
		return
	}
	arn := key.Arn
	access, err := f.kmsAccess(r.Context(), call, owner, key)
	if err != nil {
		WriteError(w, call, &APIError{Status: http.StatusInternalServerError, Code: "KMSInternalException", Message: err.Error()})
		return
	}
	if e := f.authorizeKMS(r.Context(), call, access); e != nil {
		WriteError(w, call, e)
		return
	}
	if call.Operation == "DescribeKey" {
		f.answerDescribeKey(w, r, call, owner, lookup)
		return
	}
	if key.KeyUsage != "SIGN_VERIFY" {
		f.forward(w, r, call)
		return
	}
	if key.KeyState != "Enabled" {
		WriteError(w, call, &APIError{Status: http.StatusBadRequest, Code: "DisabledException", Message: arn + " is " + key.KeyState + "."})
		return
	}
	signer, err := f.kms.get(arn, key.KeySpec)
	if err != nil {
		WriteError(w, call, &APIError{Status: http.StatusInternalServerError, Code: "KMSInternalException", Message: err.Error()})
		return
	}
	algs := signingAlgorithms(key.KeySpec)
	if call.Operation == "GetPublicKey" {
		der, err := x509.MarshalPKIXPublicKey(signer.Public())
		if err != nil {
			WriteError(w, call, &APIError{Status: http.StatusInternalServerError, Code: "KMSInternalException", Message: err.Error()})
			return
		}
		writeAmzJSON(w, map[string]any{"KeyId": arn, "PublicKey": base64.StdEncoding.EncodeToString(der), "KeySpec": key.KeySpec,
			"CustomerMasterKeySpec": key.KeySpec, "KeyUsage": "SIGN_VERIFY", "SigningAlgorithms": algs})
		return
	}
	alg := call.Str("SigningAlgorithm")
	if !contains(algs, alg) {
		WriteError(w, call, &APIError{Status: http.StatusBadRequest, Code: "InvalidKeyUsageException",
			Message: fmt.Sprintf("Algorithm %s is incompatible with key spec %s.", alg, key.KeySpec)})
		return
	}
	h, newHash, _ := algorithmHash(alg)
	message, err := base64.StdEncoding.DecodeString(call.Str("Message"))
	if err != nil || len(message) == 0 {
		WriteError(w, call, &APIError{Status: http.StatusBadRequest, Code: "ValidationException", Message: "Message must be base64 and not empty"})
		return
	}
	digest := message
	switch call.Str("MessageType") {
	case "", "RAW":
		hh := newHash()
		hh.Write(message)
		digest = hh.Sum(nil)
	case "DIGEST":
		if len(message) != h.Size() {
			WriteError(w, call, &APIError{Status: http.StatusBadRequest, Code: "ValidationException",
				Message: fmt.Sprintf("Digest is invalid length for algorithm %s.", alg)})
			return
		}
	default:
		WriteError(w, call, &APIError{Status: http.StatusBadRequest, Code: "ValidationException", Message: "MessageType must be RAW or DIGEST"})
		return
	}
	var opts crypto.SignerOpts = h
	if strings.HasPrefix(alg, "RSASSA_PSS") {
		opts = &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: h}
	}
	if call.Operation == "Sign" {
		sig, err := signer.Sign(rand.Reader, digest, opts)
		if err != nil {
			WriteError(w, call, &APIError{Status: http.StatusInternalServerError, Code: "KMSInternalException", Message: err.Error()})
			return
		}
		writeAmzJSON(w, map[string]any{"KeyId": arn, "Signature": base64.StdEncoding.EncodeToString(sig), "SigningAlgorithm": alg})
		return
	}
	sig, err := base64.StdEncoding.DecodeString(call.Str("Signature"))
	if err != nil || !verifySignature(signer.Public(), digest, sig, opts) {
		WriteError(w, call, &APIError{Status: http.StatusBadRequest, Code: "KMSInvalidSignatureException", Message: ""})
		return
	}
	writeAmzJSON(w, map[string]any{"KeyId": arn, "SignatureValid": true, "SigningAlgorithm": alg})
}

func verifySignature(pub crypto.PublicKey, digest, sig []byte, opts crypto.SignerOpts) bool {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		return ecdsa.VerifyASN1(k, digest, sig)
	case *rsa.PublicKey:
		if pss, ok := opts.(*rsa.PSSOptions); ok {
			return rsa.VerifyPSS(k, pss.Hash, digest, sig, pss) == nil
		}
		return rsa.VerifyPKCS1v15(k, opts.HashFunc(), digest, sig) == nil
	}
	return false
}

func writeAmzJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(v)
}

// kmsKeyOwner is the account that owns a key named by KeyId and the name to look it up by there: a key
// ARN or alias ARN names its account (moto is asked by key id or alias name in that account); anything
// else is the caller's.
func kmsKeyOwner(caller, keyID string) (account, lookup string) {
	parts := strings.SplitN(keyID, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "kms" || parts[4] == "" {
		return caller, keyID
	}
	resource := parts[5]
	if id, ok := strings.CutPrefix(resource, "key/"); ok {
		return parts[4], id
	}
	return parts[4], resource // alias/<name>
}

// kmsAccess is the IAM check of a signing call on key: its ARN, the key's aliases
// (kms:ResourceAliases), the signing algorithm and message type (kms:SigningAlgorithm,
// kms:MessageType, RAW by default as KMS does), and the key policy.
func (f *Front) kmsAccess(ctx context.Context, call *Call, owner string, key keyMetadata) (Access, error) {
	a := Access{Action: "kms:" + call.Operation, Resource: key.Arn, Context: map[string][]string{}}
	if owner != call.Account {
		a.ResourceAccount = owner
	}
	keyID := key.Arn[strings.LastIndex(key.Arn, "/")+1:]
	var aliases struct {
		Aliases []struct{ AliasName, TargetKeyId string } `json:"Aliases"`
	}
	if err := f.adminJSON(ctx, owner, "kms", "TrentService.ListAliases", map[string]string{}, &aliases); err != nil {
		return a, fmt.Errorf("list the aliases of %s: %w", key.Arn, err)
	}
	for _, al := range aliases.Aliases {
		if al.TargetKeyId == keyID {
			a.Context["kms:ResourceAliases"] = append(a.Context["kms:ResourceAliases"], al.AliasName)
		}
	}
	if call.Operation == "Sign" || call.Operation == "Verify" {
		a.Context["kms:SigningAlgorithm"] = []string{call.Str("SigningAlgorithm")}
		mt := call.Str("MessageType")
		if mt == "" {
			mt = "RAW"
		}
		a.Context["kms:MessageType"] = []string{mt}
	}
	var policy struct{ Policy string }
	if err := f.adminJSON(ctx, owner, "kms", "TrentService.GetKeyPolicy", map[string]string{"KeyId": keyID, "PolicyName": "default"}, &policy); err != nil {
		return a, fmt.Errorf("read the key policy of %s: %w", key.Arn, err)
	}
	if policy.Policy != "" {
		p, err := iameval.Parse(policy.Policy)
		if err != nil {
			return a, fmt.Errorf("the key policy of %s: %w", key.Arn, err)
		}
		a.ResourcePolicy = p
	}
	return a, nil
}

// authorizeKMS decides a call on a KMS key as KMS does: the key policy must allow it (a key policy is
// the root of a key's access: what it does not allow is refused even to the account's administrators),
// and so must the caller's identity policies, unless the key policy names the caller itself in its own
// account (Authorize: one of them within the account, both across accounts). A key without a policy
// (moto's default) is governed by the identity policies alone, as KMS's default key policy does.
func (f *Front) authorizeKMS(ctx context.Context, call *Call, a Access) *APIError {
	if a.ResourcePolicy != nil {
		req := iameval.Request{Principal: iameval.Principal{Kind: iameval.AWSPrincipal, ID: call.Caller.Principal, Account: call.Caller.Account},
			Action: a.Action, Resource: a.Resource, Context: f.requestContext(call, a)}
		if res, _ := a.ResourcePolicy.Evaluate(req, true); res != iameval.Allowed {
			f.logf("denied %s %s on %q: the key policy does not allow it", call.Caller.Principal, a.Action, a.Resource)
			return accessDenied(fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s because no resource-based policy allows the %s action",
				call.Caller.Principal, a.Action, a.Resource, a.Action))
		}
	}
	return f.Authorize(ctx, call, a)
}

// answerDescribeKey writes moto's DescribeKey answer of the key, asked in the account that owns it (moto
// would look a key of another account up in the caller's and not find it).
func (f *Front) answerDescribeKey(w http.ResponseWriter, r *http.Request, call *Call, owner, lookup string) {
	var out map[string]json.RawMessage
	if err := f.adminJSON(r.Context(), owner, "kms", "TrentService.DescribeKey", map[string]string{"KeyId": lookup}, &out); err != nil {
		var apiErr *APIError
		if errors.As(err, &apiErr) {
			WriteError(w, call, apiErr)
			return
		}
		WriteError(w, call, &APIError{Status: http.StatusInternalServerError, Code: "KMSInternalException", Message: err.Error()})
		return
	}
	writeAmzJSON(w, out)
}

// describeKey resolves a key id, ARN or alias through moto; a moto error comes back as *APIError.
func (f *Front) describeKey(ctx context.Context, account, keyID string) (keyMetadata, error) {
	var out struct {
		KeyMetadata keyMetadata `json:"KeyMetadata"`
	}
	err := f.adminJSON(ctx, account, "kms", "TrentService.DescribeKey", map[string]string{"KeyId": keyID}, &out)
	return out.KeyMetadata, err
}
