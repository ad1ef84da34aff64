package gate_test

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	fakekms "github.com/platformteam/delivery/internal/fake/kms"
	"github.com/platformteam/delivery/internal/supplychaintest"
	"github.com/platformteam/delivery/pkg/environment"
	"github.com/platformteam/delivery/pkg/supplychain"
	"github.com/platformteam/delivery/pkg/supplychain/attestation"
	"github.com/platformteam/delivery/pkg/supplychain/gate"
	"github.com/platformteam/delivery/pkg/supplychain/provenance"
	"github.com/platformteam/delivery/pkg/supplychain/result"
	"github.com/platformteam/delivery/pkg/supplychain/sbom"
	"github.com/platformteam/delivery/pkg/supplychain/signing"
	"github.com/platformteam/delivery/pkg/supplychain/store"
)

const commit = "0123456789abcdef0123456789abcdef01234567"

type world struct {
	host       string
	staging    *fakekms.KMS
	stagingKey signing.PublicKey
	attester   *supplychain.Attester
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{host: supplychaintest.Registry(t), staging: fakekms.New("222222222222", "ap-southeast-2")}
	w.staging.CreateSigningKey("alias/demo-app-staging-signing")
	s, err := signing.NewKMSSigner(context.Background(), w.staging, "alias/demo-app-staging-signing")
	if err != nil {
		t.Fatal(err)
	}
	w.stagingKey = s.PublicKey()
	w.attester = &supplychain.Attester{Signer: s, Tool: sbom.Tool{Name: "delivery"},
		Fetch: func(ctx context.Context, ref name.Digest) (v1.Image, error) {
			return remote.Image(ref, remote.WithContext(ctx))
		}}
	return w
}

func build(env string) provenance.Build {
	start := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	return provenance.Build{Commit: commit, Environment: env, Context: "app", Dockerfile: "Dockerfile",
		BaseImages: []provenance.BaseImage{{Role: "runtime", Ref: "scratch"}}, DaggerEngine: "v0.19.10", DaggerModule: "delivery",
		StartedOn: start, FinishedOn: start.Add(time.Minute)}
}

// published pushes an app image and attests it as publish does.
func (w *world) published(t *testing.T, extra string) name.Digest {
	t.Helper()
	img := supplychaintest.Push(t, w.host, "demo-app", extra, supplychaintest.AppImage(t, extra))
	if _, err := w.attester.Attest(context.Background(), supplychain.Request{Image: img.String(), Build: build("staging")}); err != nil {
		t.Fatal(err)
	}
	return img
}

func (w *world) policy(keys ...signing.PublicKey) gate.Policy {
	return gate.Policy{Environment: "staging", Keys: keys}
}

func verify(t *testing.T, p gate.Policy, img name.Digest, commit string) result.Decision {
	t.Helper()
	d, err := gate.Verify(context.Background(), store.Store{}, p, gate.Expect{Image: img, Commit: commit})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func wantRefused(t *testing.T, d result.Decision, check, detail string) {
	t.Helper()
	if d.Allowed {
		t.Fatalf("allowed, want refused on %s (%s)", check, detail)
	}
	c := d.Check(check)
	if c.OK || !strings.Contains(c.Detail, detail) {
		t.Fatalf("%s: ok=%v detail %q, want it to contain %q", check, c.OK, c.Detail, detail)
	}
	var refused *result.RefusedError
	if err := d.Err(); !errors.As(err, &refused) || !strings.Contains(err.Error(), detail) || !strings.Contains(err.Error(), "nothing was changed") {
		t.Fatalf("Err() = %v", err)
	}
}

func TestGateAllowsWhatPublishSignedAndAttested(t *testing.T) {
	w := newWorld(t)
	img := w.published(t, "good")
	for _, c := range []string{commit, commit[:7]} {
		d := verify(t, w.policy(w.stagingKey), img, c)
		if !d.Allowed || d.Err() != nil {
			t.Fatalf("refused with commit %s: %+v", c, d.Checks)
		}
		if d.SignedBy != w.stagingKey.Source || d.Provenance.Commit != commit || d.Provenance.BuilderID != provenance.BuilderID ||
			d.Provenance.DaggerEngine != "v0.19.10" || d.SBOM == nil || d.SBOM.GoModules == 0 {
			t.Fatalf("decision details: %+v %+v %+v", d, d.Provenance, d.SBOM)
		}
	}
}

func TestGateRefusesAnUnsignedImage(t *testing.T) {
	w := newWorld(t)
	img := supplychaintest.Push(t, w.host, "demo-app", "by-hand", supplychaintest.AppImage(t, "by-hand"))
	d := verify(t, w.policy(w.stagingKey), img, commit)
	wantRefused(t, d, gate.CheckSignature, "unsigned: "+w.host+"/demo-app:sha256-")
	wantRefused(t, d, gate.CheckProvenance, "no attestations")
	wantRefused(t, d, gate.CheckSBOM, "no attestations")
}

func TestGateRefusesACommitOtherThanTheArtifacts(t *testing.T) {
	w := newWorld(t)
	img := w.published(t, "commit")
	d := verify(t, w.policy(w.stagingKey), img, "fedcba9")
	wantRefused(t, d, gate.CheckProvenance, `mismatched commit: the provenance says `+img.DigestStr()+` was built from commit "`+commit+`", the artifact says "fedcba9"`)
	if !d.Check(gate.CheckSignature).OK || !d.Check(gate.CheckSBOM).OK {
		t.Fatalf("only the provenance check should fail: %+v", d.Checks)
	}
	if _, err := gate.Verify(context.Background(), store.Store{}, w.policy(w.stagingKey), gate.Expect{Image: img}); err == nil {
		t.Fatal("a deploy check without the artifact's commit was accepted")
	}
	any, err := gate.Verify(context.Background(), store.Store{}, w.policy(w.stagingKey), gate.Expect{Image: img, AnyCommit: true})
	if err != nil || !any.Allowed {
		t.Fatalf("report mode (any commit): %+v %v", any.Checks, err)
	}
}

func TestGateRefusesForeignKeys(t *testing.T) {
	w := newWorld(t)
	img := w.published(t, "foreign")
	production := fakekms.New("333333333333", "ap-southeast-2")
	production.CreateSigningKey("alias/demo-app-production-signing")
	prodKey, err := signing.KMSPublicKey(context.Background(), production, "alias/demo-app-production-signing")
	if err != nil {
		t.Fatal(err)
	}
	d := verify(t, gate.Policy{Environment: "production", Keys: []signing.PublicKey{prodKey}}, img, commit)
	wantRefused(t, d, gate.CheckSignature, "foreign: 1 signature(s)")
	wantRefused(t, d, gate.CheckProvenance, "none signed by a key production trusts")
	wantRefused(t, d, gate.CheckSBOM, "foreign")
	// Trusting staging's key as well allows it.
	if d := verify(t, gate.Policy{Environment: "production", Keys: []signing.PublicKey{prodKey, w.stagingKey}}, img, commit); !d.Allowed {
		t.Fatalf("production trusting staging: %+v", d.Checks)
	}
}

func TestGateRefusesASignatureOfAnotherDigest(t *testing.T) {
	w := newWorld(t)
	signed := w.published(t, "signed")
	other := supplychaintest.Push(t, w.host, "demo-app", "other", supplychaintest.AppImage(t, "other"))
	ctx := context.Background()
	// Someone copies the signed image's .sig and .att next to another digest.
	for _, kind := range []store.Kind{store.Signatures, store.Attestations} {
		layers, _, err := (store.Store{}).Read(ctx, signed, kind)
		if err != nil {
			t.Fatal(err)
		}
		if err := (store.Store{}).Write(ctx, other, kind, layers); err != nil {
			t.Fatal(err)
		}
	}
	d := verify(t, w.policy(w.stagingKey), other, commit)
	wantRefused(t, d, gate.CheckSignature, "mismatched: the signature by "+w.stagingKey.Source+" is for "+signed.DigestStr())
	wantRefused(t, d, gate.CheckProvenance, "is about another image")
	wantRefused(t, d, gate.CheckSBOM, "about another image")
}

func TestGateRefusesAnUntrustedBuilderAndAMissingSBOM(t *testing.T) {
	w := newWorld(t)
	img := w.published(t, "builder")
	p := w.policy(w.stagingKey)
	p.Builders = []string{"https://example.invalid/another-builder"}
	wantRefused(t, verify(t, p, img, commit), gate.CheckProvenance, `untrusted builder "`+provenance.BuilderID+`"`)

	// Keep only the provenance attestation: the SBOM is missing.
	ctx := context.Background()
	layers, _, _ := (store.Store{}).Read(ctx, img, store.Attestations)
	var kept []store.Layer
	for _, l := range layers {
		if l.Annotations[store.PredicateTypeAnnotation] == attestation.PredicateSLSAProvenanceV1 {
			kept = append(kept, l)
		}
	}
	if err := (store.Store{}).Write(ctx, img, store.Attestations, kept); err != nil {
		t.Fatal(err)
	}
	wantRefused(t, verify(t, w.policy(w.stagingKey), img, commit), gate.CheckSBOM, "missing: no CycloneDX SBOM")
}

func TestGateNeedsATrustPolicy(t *testing.T) {
	w := newWorld(t)
	img := w.published(t, "nokeys")
	if _, err := gate.Verify(context.Background(), store.Store{}, w.policy(), gate.Expect{Image: img, Commit: commit}); err == nil ||
		!strings.Contains(err.Error(), "trusts no signing key") {
		t.Fatalf("no keys: %v", err)
	}
}

func TestPolicyForResolvesKMSKeysAndFiles(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	dir := t.TempDir()
	der, _ := x509.MarshalPKIXPublicKey(w.stagingKey.Key)
	pemFile := filepath.Join("keys", "staging.pub")
	if err := os.MkdirAll(filepath.Join(dir, "keys"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, pemFile), pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	read := func(rel string) ([]byte, error) { return os.ReadFile(filepath.Join(dir, rel)) }
	env := &environment.Environment{Name: "staging", Signing: environment.Signing{Trust: []environment.TrustedKey{
		{KMS: "alias/demo-app-staging-signing"}, {PublicKey: pemFile}}}}
	p, err := gate.PolicyFor(ctx, env, w.staging, read)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Keys) != 2 || !p.Keys[0].Equal(w.stagingKey) || !p.Keys[1].Equal(w.stagingKey) || p.Keys[1].Source != pemFile ||
		len(p.Builders) != 1 || p.Builders[0] != provenance.BuilderID {
		t.Fatalf("policy: %+v", p)
	}
	env.Signing.Trust = append(env.Signing.Trust, environment.TrustedKey{KMS: "alias/missing"}, environment.TrustedKey{PublicKey: "keys/none.pub"})
	if _, err := gate.PolicyFor(ctx, env, w.staging, read); err == nil || !strings.Contains(err.Error(), "alias/missing") || !strings.Contains(err.Error(), "keys/none.pub") {
		t.Fatalf("unresolvable keys: %v", err)
	}
	env.Signing.Trust = nil
	if _, err := gate.PolicyFor(ctx, env, w.staging, read); err == nil {
		t.Fatal("an empty trust policy resolved")
	}
}

func TestRunningReportsEachDistinctDigest(t *testing.T) {
	w := newWorld(t)
	signed := w.published(t, "running-signed")
	unsigned := supplychaintest.Push(t, w.host, "demo-app", "running-unsigned", supplychaintest.AppImage(t, "running-unsigned"))
	ds, err := gate.Running(context.Background(), store.Store{}, w.policy(w.stagingKey), []name.Digest{signed, unsigned, signed})
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 2 || !ds[0].Allowed || ds[0].Provenance.Commit != commit || ds[1].Allowed || ds[1].Check(gate.CheckSignature).OK {
		t.Fatalf("decisions: %+v", ds)
	}
}
