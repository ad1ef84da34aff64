package iampolicy

import (
	"strings"
	"testing"

	"github.com/platformteam/delivery/internal/sandbox/iameval"
	"github.com/platformteam/delivery/pkg/environment"
)

// kmsAllows decides a KMS request as KMS does for keys whose policy grants through the account: the
// key policy must allow it (for the caller's account or role, with its conditions) and so must the
// caller's identity policies.
func kmsAllows(t *testing.T, role *Role, account, action, keyARN string, keyPolicy Document, ctx iameval.Context) bool {
	t.Helper()
	kp, err := iameval.Parse(string(keyPolicy))
	if err != nil {
		t.Fatal(err)
	}
	var identity []iameval.NamedPolicy
	for _, p := range role.Policies {
		parsed, err := iameval.Parse(string(p.Document))
		if err != nil {
			t.Fatal(err)
		}
		identity = append(identity, iameval.NamedPolicy{Name: p.Name, Policy: parsed})
	}
	ctx.Set("aws:PrincipalArn", role.ARN)
	req := iameval.Request{Principal: iameval.Principal{Kind: iameval.AWSPrincipal, ID: strings.Replace(strings.Replace(role.ARN, ":iam::", ":sts::", 1), ":role/", ":assumed-role/", 1) + "/job", Account: account},
		Action: action, Resource: keyARN, Context: ctx}
	keyResult, _ := kp.Evaluate(req, true)
	id := iameval.Authorize(iameval.Input{Request: req, Identity: identity})
	return keyResult == iameval.Allowed && id.Allowed
}

// TestDeployRolesMaySignWithTheirKeyAndReadEveryKeyTheirGateTrusts proves, for every real environment,
// that the Terraform's policies let the deploy role do what the pipeline does with KMS: sign with its
// environment's key (ECDSA_SHA_256 over a digest only) and read the public key of every KMS key its
// delivery.yaml trusts (another account's key too, through that key's policy). Other roles may not sign.
func TestDeployRolesMaySignWithTheirKeyAndReadEveryKeyTheirGateTrusts(t *testing.T) {
	root := repoRoot(t)
	envs := []string{"development", "staging", "production"}
	ids := map[string]*Identities{}
	byAccount := map[string]string{}
	for _, env := range envs {
		s, err := LoadSettings(root, env)
		if err != nil {
			t.Fatal(err)
		}
		if ids[env], err = Declare(root, s); err != nil {
			t.Fatal(err)
		}
		byAccount[s.AccountID] = env
	}
	keyARN := func(env string) string {
		return "arn:aws:kms:" + ids[env].Region + ":" + ids[env].AccountID + ":key/00000000-0000-4000-8000-000000000000"
	}
	for _, env := range envs {
		e, err := environment.Load(root, env)
		if err != nil {
			t.Fatal(err)
		}
		own := ids[env]
		deploy, _ := own.Role(Deploy)
		if len(own.SigningKeys) != 1 || own.SigningKeys[0].Alias != e.Signing.Key {
			t.Fatalf("%s: signing keys %+v, delivery.yaml signing.key %s", env, own.SigningKeys, e.Signing.Key)
		}
		sign := func(role *Role, messageType string) bool {
			ctx := iameval.Context{}
			ctx.Set("kms:ResourceAliases", own.SigningKeys[0].Alias)
			ctx.Set("kms:SigningAlgorithm", "ECDSA_SHA_256")
			ctx.Set("kms:MessageType", messageType)
			return kmsAllows(t, role, own.AccountID, "kms:Sign", keyARN(env), own.SigningKeys[0].Policy, ctx)
		}
		if !sign(deploy, "DIGEST") {
			t.Errorf("%s: the deploy role may not sign digests with %s", env, own.SigningKeys[0].Alias)
		}
		if sign(deploy, "RAW") {
			t.Errorf("%s: the deploy role may sign RAW messages", env)
		}
		for _, p := range []Purpose{Apply, Plan, CodeBuild} {
			if r, ok := own.Role(p); ok && sign(r, "DIGEST") {
				t.Errorf("%s: the %s role may sign images", env, p)
			}
		}
		for _, k := range e.Signing.Trust {
			if k.KMS == "" {
				continue
			}
			keyEnv, alias := env, k.KMS
			if strings.HasPrefix(k.KMS, "arn:") {
				parts := strings.SplitN(k.KMS, ":", 6)
				keyEnv, alias = byAccount[parts[4]], parts[5]
				if keyEnv == "" {
					t.Errorf("%s: trusted key %s is in account %s, which no environment declares", env, k.KMS, parts[4])
					continue
				}
			}
			var policy Document
			for _, sk := range ids[keyEnv].SigningKeys {
				if sk.Alias == alias {
					policy = sk.Policy
				}
			}
			if policy == "" {
				t.Errorf("%s: trusted key %s names no signing key of %s", env, k.KMS, keyEnv)
				continue
			}
			for _, action := range []string{"kms:GetPublicKey", "kms:DescribeKey"} {
				ctx := iameval.Context{}
				ctx.Set("kms:ResourceAliases", alias)
				if !kmsAllows(t, deploy, own.AccountID, action, keyARN(keyEnv), policy, ctx) {
					t.Errorf("%s: the deploy role may not %s on trusted key %s (its IAM policy and that key's policy must both allow it)", env, action, k.KMS)
				}
			}
		}
	}
}
