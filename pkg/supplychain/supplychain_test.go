package supplychain_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	fakekms "github.com/platformteam/delivery/internal/fake/kms"
	"github.com/platformteam/delivery/internal/supplychaintest"
	"github.com/platformteam/delivery/pkg/supplychain"
	"github.com/platformteam/delivery/pkg/supplychain/attestation"
	"github.com/platformteam/delivery/pkg/supplychain/provenance"
	"github.com/platformteam/delivery/pkg/supplychain/result"
	"github.com/platformteam/delivery/pkg/supplychain/sbom"
	"github.com/platformteam/delivery/pkg/supplychain/signing"
	"github.com/platformteam/delivery/pkg/supplychain/store"
)

const commit = "0123456789abcdef0123456789abcdef01234567"

func request(image name.Digest) supplychain.Request {
	start := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	return supplychain.Request{Image: image.String(), Build: provenance.Build{
		Commit: commit, Environment: "staging", Context: "app", Dockerfile: "Dockerfile",
		BuildArgs: map[string]string{"BUILD_VERSION": commit[:7]},
		BaseImages: []provenance.BaseImage{{Role: "runtime", Ref: "scratch"},
			{Role: "go", Ref: "127.0.0.1:5000/base/golang:1.26", Digest: "sha256:" + strings.Repeat("1", 64)}},
		DaggerEngine: "v0.19.10", DaggerModule: "delivery", StartedOn: start, FinishedOn: start.Add(time.Minute),
	}}
}

func attester(t testing.TB, k *fakekms.KMS, alias string) *supplychain.Attester {
	t.Helper()
	s, err := signing.NewKMSSigner(context.Background(), k, alias)
	if err != nil {
		t.Fatal(err)
	}
	return &supplychain.Attester{Signer: s, Tool: sbom.Tool{Name: "delivery", Version: "test"},
		Fetch: func(ctx context.Context, ref name.Digest) (v1.Image, error) {
			return remote.Image(ref, remote.WithContext(ctx))
		}}
}

func TestAttestSignsAndAttestsOnceAndAReRunChangesNothing(t *testing.T) {
	ctx := context.Background()
	host := supplychaintest.Registry(t)
	img := supplychaintest.Push(t, host, "demo-app", commit[:7], supplychaintest.AppImage(t, "v1"))
	k := fakekms.New("222222222222", "ap-southeast-2")
	keyARN := k.CreateSigningKey("alias/demo-app-staging-signing")
	a := attester(t, k, "alias/demo-app-staging-signing")

	res, err := a.Attest(ctx, request(img))
	if err != nil {
		t.Fatal(err)
	}
	if res.Signature != result.Created || res.Provenance != result.Created || res.SBOM != result.Created || res.Key != keyARN {
		t.Fatalf("first run: %+v", res)
	}
	if res.SBOMSummary.GoBinaries != 1 || res.SBOMSummary.GoModules == 0 || res.SBOMSummary.Binaries[0].Path != "/demo-app" {
		t.Fatalf("SBOM summary: %+v", res.SBOMSummary)
	}
	if k.Calls["Sign"] != 3 {
		t.Fatalf("KMS Sign calls: %d, want 3 (image, provenance, SBOM)", k.Calls["Sign"])
	}

	// The provenance records the Go version read from the binary and the pinned base images.
	layers, _, err := (store.Store{}).Read(ctx, img, store.Attestations)
	if err != nil || len(layers) != 2 {
		t.Fatalf("attestations: %d %v", len(layers), err)
	}
	opened, err := attestation.Open(layers[0].Payload, []signing.PublicKey{a.Signer.PublicKey()})
	if err != nil {
		t.Fatal(err)
	}
	p, err := provenance.Parse(opened.Statement.Predicate)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(p.GoVersion(), "go1.") || p.Commit() != commit || len(p.BaseImages()) != 2 {
		t.Fatalf("provenance: go %q commit %q bases %+v", p.GoVersion(), p.Commit(), p.BaseImages())
	}
	sbomEnv, err := attestation.Open(layers[1].Payload, []signing.PublicKey{a.Signer.PublicKey()})
	if err != nil || sbomEnv.Statement.PredicateType != attestation.PredicateCycloneDX {
		t.Fatalf("SBOM attestation: %v", err)
	}
	var bom map[string]any
	if err := json.Unmarshal(sbomEnv.Statement.Predicate, &bom); err != nil || bom["bomFormat"] != "CycloneDX" {
		t.Fatalf("SBOM predicate: %v %v", bom["bomFormat"], err)
	}

	// A re-run of the same commit finds everything and writes nothing.
	sigTag, _ := store.Tag(img, store.Signatures)
	attTag, _ := store.Tag(img, store.Attestations)
	sigBefore, _ := remote.Head(sigTag)
	attBefore, _ := remote.Head(attTag)
	again, err := a.Attest(ctx, request(img))
	if err != nil {
		t.Fatal(err)
	}
	if again.Changed() || again.Signature != result.Present || again.SBOMSummary.GoBinaries != 1 {
		t.Fatalf("re-run: %+v", again)
	}
	sigAfter, _ := remote.Head(sigTag)
	attAfter, _ := remote.Head(attTag)
	if sigBefore.Digest != sigAfter.Digest || attBefore.Digest != attAfter.Digest || k.Calls["Sign"] != 3 {
		t.Fatalf("the re-run rewrote tags or signed again (Sign calls %d)", k.Calls["Sign"])
	}
}

func TestAttestRefusesBadRequests(t *testing.T) {
	ctx := context.Background()
	host := supplychaintest.Registry(t)
	img := supplychaintest.Push(t, host, "demo-app", "x", supplychaintest.AppImage(t, "bad"))
	k := fakekms.New("222222222222", "ap-southeast-2")
	k.CreateSigningKey("alias/s")
	a := attester(t, k, "alias/s")

	req := request(img)
	req.Image = host + "/demo-app:latest"
	if _, err := a.Attest(ctx, req); err == nil || !strings.Contains(err.Error(), "sha256") {
		t.Errorf("a tag instead of a digest: %v", err)
	}
	req = request(img)
	req.Build.BaseImages = []provenance.BaseImage{{Role: "go", Ref: "127.0.0.1:5000/base/golang:1.26"}}
	if _, err := a.Attest(ctx, req); err == nil {
		t.Error("a build without a runtime base and with an unpinned go image was attested")
	}
	if k.Calls["Sign"] != 0 {
		t.Errorf("KMS Sign was called %d times for refused requests", k.Calls["Sign"])
	}
}
