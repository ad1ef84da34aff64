//go:build cosign

// Interoperability with the real cosign binary (make test-cosign builds it once into
// .cache/tools/cosign-<version>/ and passes its path in COSIGN): what publish writes is accepted by
// `cosign verify` and `cosign verify-attestation`, and what cosign writes is read by the deploy gate.
package supplychain_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	fakekms "github.com/platformteam/delivery/internal/fake/kms"
	"github.com/platformteam/delivery/internal/supplychaintest"
	"github.com/platformteam/delivery/pkg/supplychain/attestation"
	"github.com/platformteam/delivery/pkg/supplychain/gate"
	"github.com/platformteam/delivery/pkg/supplychain/signing"
	"github.com/platformteam/delivery/pkg/supplychain/store"
)

func cosignBinary(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("COSIGN")
	if bin == "" {
		t.Fatal("COSIGN is not set: run `make test-cosign`, which builds cosign once and sets it")
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("COSIGN=%s: %v", bin, err)
	}
	return bin
}

// cosign runs the binary offline: no transparency log, plain-HTTP loopback registry, no TUF fetch.
func cosign(t *testing.T, bin string, env []string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	home := t.TempDir()
	cmd.Env = append(os.Environ(), "HOME="+home, "TUF_ROOT="+filepath.Join(home, "tuf"), "SIGSTORE_NO_CACHE=true")
	cmd.Env = append(cmd.Env, env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

func writePublicKey(t *testing.T, key signing.PublicKey) string {
	t.Helper()
	data, err := key.PEM()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "key.pub")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCosignVerifiesWhatPublishWrites(t *testing.T) {
	bin := cosignBinary(t)
	ctx := context.Background()
	host := supplychaintest.Registry(t)
	img := supplychaintest.Push(t, host, "demo-app", commit[:7], supplychaintest.AppImage(t, "cosign"))
	k := fakekms.New("222222222222", "ap-southeast-2")
	k.CreateSigningKey("alias/demo-app-staging-signing")
	a := attester(t, k, "alias/demo-app-staging-signing")
	if _, err := a.Attest(ctx, request(img)); err != nil {
		t.Fatal(err)
	}
	pub := writePublicKey(t, a.Signer.PublicKey())
	common := []string{"--key", pub, "--insecure-ignore-tlog=true", "--allow-http-registry=true", "--output", "json"}

	out, err := cosign(t, bin, nil, append(append([]string{"verify"}, common...), img.String())...)
	if err != nil {
		t.Fatalf("cosign verify refused what publish signed: %v\n%s", err, out)
	}
	if !strings.Contains(out, img.DigestStr()) {
		t.Fatalf("cosign verify output does not name the digest:\n%s", out)
	}
	for typ, predicate := range map[string]string{"slsaprovenance1": attestation.PredicateSLSAProvenanceV1, "cyclonedx": attestation.PredicateCycloneDX} {
		out, err := cosign(t, bin, nil, append(append([]string{"verify-attestation", "--type", typ}, common...), img.String())...)
		if err != nil {
			t.Fatalf("cosign verify-attestation --type %s refused what publish attested: %v\n%s", typ, err, out)
		}
		if !strings.Contains(out, `"payloadType":"application/vnd.in-toto+json"`) {
			t.Fatalf("verify-attestation --type %s printed no envelope:\n%s", typ, out)
		}
		// The printed envelope's statement has the predicate type asked for.
		var env attestation.Envelope
		line := strings.TrimSpace(out[strings.Index(out, "{"):])
		if i := strings.Index(line, "\n"); i > 0 {
			line = line[:i]
		}
		if err := json.Unmarshal([]byte(line), &env); err != nil {
			t.Fatalf("verify-attestation output is not an envelope: %v\n%s", err, out)
		}
		if got := attestation.PeekPredicateType([]byte(line)); got != predicate {
			t.Fatalf("verify-attestation --type %s returned predicate %s", typ, got)
		}
	}

	// A foreign key and an unsigned image are refused by cosign too.
	other := fakekms.New("333333333333", "ap-southeast-2")
	other.CreateSigningKey("alias/other")
	otherKey, err := signing.KMSPublicKey(ctx, other, "alias/other")
	if err != nil {
		t.Fatal(err)
	}
	if out, err := cosign(t, bin, nil, "verify", "--key", writePublicKey(t, otherKey), "--insecure-ignore-tlog=true", "--allow-http-registry=true", img.String()); err == nil {
		t.Fatalf("cosign verify accepted a foreign key:\n%s", out)
	}
	unsigned := supplychaintest.Push(t, host, "demo-app", "unsigned", supplychaintest.AppImage(t, "unsigned"))
	if out, err := cosign(t, bin, nil, append(append([]string{"verify"}, common...), unsigned.String())...); err == nil {
		t.Fatalf("cosign verify accepted an unsigned image:\n%s", out)
	}
}

func TestTheGateReadsWhatCosignWrites(t *testing.T) {
	bin := cosignBinary(t)
	ctx := context.Background()
	host := supplychaintest.Registry(t)
	img := supplychaintest.Push(t, host, "demo-app", "by-cosign", supplychaintest.AppImage(t, "by-cosign"))
	dir := t.TempDir()
	env := []string{"COSIGN_PASSWORD=test-only"}
	if out, err := cosign(t, bin, env, "generate-key-pair", "--output-key-prefix", filepath.Join(dir, "cosign")); err != nil {
		t.Fatalf("cosign generate-key-pair: %v\n%s", err, out)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "cosign.pub"))
	if err != nil {
		t.Fatal(err)
	}
	key, err := signing.ParsePublicKeyPEM("cosign.pub", raw)
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(dir, "cosign.key")
	if out, err := cosign(t, bin, env, "sign", "--key", keyFile, "--tlog-upload=false", "--allow-http-registry=true", "--yes", img.String()); err != nil {
		t.Fatalf("cosign sign: %v\n%s", err, out)
	}
	// An SLSA provenance predicate for the same commit, attested by cosign.
	pred := filepath.Join(dir, "provenance.json")
	predicate := `{"buildDefinition":{"buildType":"https://github.com/platformteam/delivery/buildtypes/dagger-dockerfile/v1","externalParameters":{},"resolvedDependencies":[{"name":"source","digest":{"gitCommit":"` + commit + `"}}]},"runDetails":{"builder":{"id":"https://github.com/platformteam/delivery/ci","version":{"dagger-engine":"v0.19.10"}},"metadata":{}}}`
	if err := os.WriteFile(pred, []byte(predicate), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := cosign(t, bin, env, "attest", "--key", keyFile, "--tlog-upload=false", "--allow-http-registry=true", "--yes",
		"--type", "slsaprovenance1", "--predicate", pred, img.String()); err != nil {
		t.Fatalf("cosign attest: %v\n%s", err, out)
	}

	d, err := gate.Verify(ctx, store.Store{}, gate.Policy{Environment: "staging", Keys: []signing.PublicKey{key}}, gate.Expect{Image: img, Commit: commit[:7]})
	if err != nil {
		t.Fatal(err)
	}
	if !d.Check(gate.CheckSignature).OK || !d.Check(gate.CheckProvenance).OK {
		t.Fatalf("the gate does not accept cosign's signature and attestation: %+v", d.Checks)
	}
	if d.Check(gate.CheckSBOM).OK || d.Allowed {
		t.Fatalf("no SBOM was attested, yet the gate allowed it: %+v", d.Checks)
	}
}
