//go:build integration && cosign

package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/platformteam/delivery/internal/sandbox/sandboxtest"
)

// TestCosignVerifiesOnTheTwinWithAWSKMS: the real cosign, given nothing but an awskms:// key reference
// and the twin's AWS endpoint, accepts what staging's publish signed and attested on the twin: as
// staging's deploy role (its key by alias) and as production's deploy role (staging's key by alias ARN,
// across accounts, as production's trust policy names it). cosign's awskms:// verifier describes the key
// and reads its public half (kms:DescribeKey, kms:GetPublicKey), both decided by the key policy and the
// role's rendered policies. Needs the sandbox (integration) and COSIGN (make test-cosign builds it).
func TestCosignVerifiesOnTheTwinWithAWSKMS(t *testing.T) {
	bin := os.Getenv("COSIGN")
	if bin == "" {
		t.Fatal("COSIGN is not set: build cosign with `make test-cosign` and pass its path (.cache/tools/cosign-v2.6.1/cosign)")
	}
	s := sandboxtest.Env(t)
	staging, production := deployJob(t, s, "staging"), deployJob(t, s, "production")
	work := t.TempDir()
	release := filepath.Join(work, "release")
	buildRelease(t, release)
	_, img, _ := publishOnTwin(t, release, s.Layout.RepoRoot, work, staging)
	digest, _ := img.Digest()

	// cosign reads the registry with staging's ECR credentials, from a docker config of its own.
	reg := staging.registry(t)
	basic, ok := reg.Auth.(*authn.Basic)
	if !ok {
		t.Fatalf("staging's registry login is %T, not user and password", reg.Auth)
	}
	dockerConfig := t.TempDir()
	cfg, _ := json.Marshal(map[string]any{"auths": map[string]any{reg.Host: map[string]string{
		"auth": base64.StdEncoding.EncodeToString([]byte(basic.Username + ":" + basic.Password))}}})
	must(t, os.WriteFile(filepath.Join(dockerConfig, "config.json"), cfg, 0o600))
	ref := reg.Host + "/demo-app@" + digest.String()

	cosign := func(job twinJob, args ...string) (string, error) {
		cmd := exec.Command(bin, args...)
		home := t.TempDir()
		cmd.Env = append(job.env, "HOME="+home, "DOCKER_CONFIG="+dockerConfig, "TUF_ROOT="+filepath.Join(home, "tuf"), "SIGSTORE_NO_CACHE=true")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		return out.String(), err
	}
	offline := []string{"--insecure-ignore-tlog=true", "--allow-http-registry=true", "--output", "json"}
	for _, c := range []struct {
		who string
		job twinJob
		key string
	}{
		{"staging's deploy role", staging, "awskms:///alias/demo-app-staging-signing"},
		{"production's deploy role", production, "awskms:///arn:aws:kms:" + staging.region + ":" + stagingAccount + ":alias/demo-app-staging-signing"},
	} {
		out, err := cosign(c.job, append(append([]string{"verify", "--key", c.key}, offline...), ref)...)
		if err != nil || !strings.Contains(out, digest.String()) {
			t.Errorf("%s: cosign verify --key %s refused what staging published: %v\n%s", c.who, c.key, err, out)
		}
		for _, typ := range []string{"slsaprovenance1", "cyclonedx"} {
			if out, err := cosign(c.job, append(append([]string{"verify-attestation", "--key", c.key, "--type", typ}, offline...), ref)...); err != nil {
				t.Errorf("%s: cosign verify-attestation --type %s refused what staging published: %v\n%s", c.who, typ, err, out)
			}
		}
	}
	// A key the image was not signed with is refused (production's own key).
	if out, err := cosign(production, append(append([]string{"verify", "--key", "awskms:///alias/demo-app-production-signing"}, offline...), ref)...); err == nil {
		t.Errorf("cosign verify with production's own key accepted staging's signature:\n%s", out)
	}
}
