package environment

import (
	"strings"
	"testing"
)

func TestSigningDefaultsToTheEnvironmentsOwnKey(t *testing.T) {
	root := t.TempDir()
	writeEnv(t, root, "staging", good, true)
	env, err := Load(root, "staging")
	if err != nil {
		t.Fatal(err)
	}
	if env.Signing.Key != "alias/demo-app-staging-signing" || len(env.Signing.Trust) != 1 || env.Signing.Trust[0].KMS != env.Signing.Key {
		t.Fatalf("signing defaults: %+v", env.Signing)
	}
}

func TestSigningTrustPolicy(t *testing.T) {
	root := t.TempDir()
	writeEnv(t, root, "production", good+`signing:
  key: alias/demo-app-production-signing
  trust:
    - kms: arn:aws:kms:ap-southeast-2:222222222222:alias/demo-app-staging-signing
    - public_key: environments/production/keys/break-glass.pub
  builders: [https://github.com/platformteam/delivery/ci]
`, true)
	env, err := Load(root, "production")
	if err != nil {
		t.Fatal(err)
	}
	if len(env.Signing.Trust) != 2 || env.Signing.Trust[0].String() != "kms arn:aws:kms:ap-southeast-2:222222222222:alias/demo-app-staging-signing" ||
		env.Signing.Trust[1].String() != "public key environments/production/keys/break-glass.pub" {
		t.Fatalf("trust: %+v", env.Signing.Trust)
	}
}

func TestSigningRejectsBadPolicies(t *testing.T) {
	cases := map[string]struct{ signing, want string }{
		"bad key":        {"  key: my-key\n", "signing.key"},
		"both":           {"  trust: [{kms: alias/x, public_key: k.pub}]\n", "exactly one"},
		"neither":        {"  trust: [{}]\n", "exactly one"},
		"bad kms":        {"  trust: [{kms: 'arn:aws:s3:::bucket'}]\n", "signing.trust[0].kms"},
		"escaping file":  {"  trust: [{public_key: ../k.pub}]\n", "stay inside"},
		"builder no uri": {"  builders: [dagger]\n", "builder id URI"},
	}
	for name, c := range cases {
		root := t.TempDir()
		writeEnv(t, root, "staging", good+"signing:\n"+c.signing, true)
		if _, err := Load(root, "staging"); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: want an error naming %q, got %v", name, c.want, err)
		}
	}
}
