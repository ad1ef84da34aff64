package awsseed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/platformteam/delivery/internal/iampolicy"
)

// seedSigningKey creates the image signing key of the environment (modules/ecr `signing`: an
// asymmetric SIGN_VERIFY ECC_NIST_P256 key, alias delivery.yaml signing.key) with the key policy the
// Terraform renders for it (signer and verifier roles), and converges that policy on every run. The
// local environment declares no identities: its key keeps KMS's default policy (the account's IAM).
func seedSigningKey(ctx context.Context, cfg aws.Config, n *names, ids *iampolicy.Identities, done *Seeded) error {
	alias := n.env.Signing.Key
	if alias == "" {
		return nil
	}
	policy := ""
	if ids != nil {
		for _, k := range ids.SigningKeys {
			if k.Alias == alias {
				policy = string(k.Policy)
			}
		}
		if policy == "" {
			return fmt.Errorf("delivery.yaml signing.key %s is not a key the Terraform declares (%d signing keys)", alias, len(ids.SigningKeys))
		}
	}
	client := kms.NewFromConfig(cfg)
	out, err := client.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(alias)})
	var missing *kmstypes.NotFoundException
	switch {
	case err == nil:
		if policy == "" {
			return nil
		}
		keyID := out.KeyMetadata.KeyId
		current, err := client.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: keyID, PolicyName: aws.String("default")})
		if err != nil {
			return fmt.Errorf("read the key policy of %s: %w", alias, err)
		}
		if sameJSON(aws.ToString(current.Policy), policy) {
			return nil
		}
		if _, err := client.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: keyID, PolicyName: aws.String("default"), Policy: aws.String(policy)}); err != nil {
			return fmt.Errorf("converge the key policy of %s: %w", alias, err)
		}
		done.add("kms-key-policy", alias)
		return nil
	case !errors.As(err, &missing):
		return fmt.Errorf("describe key %s: %w", alias, err)
	}
	in := &kms.CreateKeyInput{Description: aws.String("Signs the images of " + n.app + " in " + n.env.Name + " (cosign awskms://)"),
		KeyUsage: kmstypes.KeyUsageTypeSignVerify, KeySpec: kmstypes.KeySpecEccNistP256}
	if policy != "" {
		in.Policy = aws.String(policy)
	}
	key, err := client.CreateKey(ctx, in)
	if err != nil {
		return fmt.Errorf("create the signing key: %w", err)
	}
	if _, err := client.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String(alias), TargetKeyId: key.KeyMetadata.KeyId}); err != nil {
		return fmt.Errorf("create alias %s: %w", alias, err)
	}
	done.add("kms-signing-key", alias)
	return nil
}

// sameJSON reports whether two JSON documents hold the same value.
func sameJSON(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}
