package store_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/platformteam/delivery/pkg/supplychain/store"
)

// pushRandom pushes a random image to repo on a test registry and returns it by digest.
func pushRandom(t *testing.T, host, repo string) name.Digest {
	t.Helper()
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.ParseReference(host + "/" + repo + ":v1")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	d, _ := img.Digest()
	return ref.Context().Digest(d.String())
}

func testRegistry(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(registry.New())
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func TestTagsFollowCosignsConvention(t *testing.T) {
	d, err := name.NewDigest("127.0.0.1:5002/demo-app@sha256:" + strings.Repeat("ab", 32))
	if err != nil {
		t.Fatal(err)
	}
	sig, _ := store.Tag(d, store.Signatures)
	att, _ := store.Tag(d, store.Attestations)
	if sig.String() != "127.0.0.1:5002/demo-app:sha256-"+strings.Repeat("ab", 32)+".sig" || !strings.HasSuffix(att.String(), ".att") {
		t.Fatalf("tags: %s %s", sig, att)
	}
}

func TestSimpleSigningPayload(t *testing.T) {
	d, _ := name.NewDigest("127.0.0.1:5002/demo-app@sha256:" + strings.Repeat("ab", 32))
	payload := store.NewSimpleSigning(d)
	var raw map[string]map[string]any
	if err := json.Unmarshal(payload, &raw); err != nil {
		t.Fatal(err)
	}
	// The field names cosign's SimpleClaimVerifier reads.
	if raw["critical"]["type"] != store.SimpleSigningType ||
		raw["critical"]["image"].(map[string]any)["docker-manifest-digest"] != d.DigestStr() ||
		raw["critical"]["identity"].(map[string]any)["docker-reference"] != "127.0.0.1:5002/demo-app" {
		t.Fatalf("payload: %s", payload)
	}
	p, err := store.ParseSimpleSigning(payload)
	if err != nil || p.Critical.Image.DockerManifestDigest != d.DigestStr() {
		t.Fatalf("ParseSimpleSigning: %v", err)
	}
	if _, err := store.ParseSimpleSigning([]byte(`{"critical":{"type":"atomic container signature"}}`)); err == nil {
		t.Error("another payload type was accepted")
	}
}

func TestAddReadAndCopy(t *testing.T) {
	ctx := context.Background()
	staging, production := testRegistry(t), testRegistry(t)
	img := pushRandom(t, staging, "demo-app")
	s := store.Store{}

	layers, found, err := s.Read(ctx, img, store.Signatures)
	if err != nil || found || layers != nil {
		t.Fatalf("Read of an unsigned image: %v %v %v", layers, found, err)
	}

	sig := store.SignatureLayer(store.NewSimpleSigning(img), []byte{1, 2, 3})
	if _, err := s.Add(ctx, img, store.Signatures, sig); err != nil {
		t.Fatal(err)
	}
	// Adding the same layer again changes nothing: the tag keeps its manifest.
	tag, _ := store.Tag(img, store.Signatures)
	before, _ := remote.Head(tag)
	if _, err := s.Add(ctx, img, store.Signatures, sig); err != nil {
		t.Fatal(err)
	}
	after, _ := remote.Head(tag)
	if before.Digest != after.Digest {
		t.Fatal("adding an existing signature rewrote the tag")
	}
	att := store.AttestationLayer([]byte(`{"payloadType":"application/vnd.in-toto+json"}`), "https://slsa.dev/provenance/v1")
	sbom := store.AttestationLayer([]byte(`{"payloadType":"application/vnd.in-toto+json","x":1}`), "https://cyclonedx.org/bom")
	if _, err := s.Add(ctx, img, store.Attestations, att); err != nil {
		t.Fatal(err)
	}
	all, err := s.Add(ctx, img, store.Attestations, sbom)
	if err != nil || len(all) != 2 {
		t.Fatalf("attestations after two adds: %d, %v", len(all), err)
	}

	got, found, err := s.Read(ctx, img, store.Signatures)
	if err != nil || !found || len(got) != 1 {
		t.Fatalf("Read signatures: %d %v %v", len(got), found, err)
	}
	if raw, _ := got[0].Signature(); string(raw) != "\x01\x02\x03" || got[0].MediaType != store.SimpleSigningMediaType {
		t.Fatalf("signature layer: %+v", got[0])
	}
	atts, _, _ := s.Read(ctx, img, store.Attestations)
	if atts[0].Annotations[store.PredicateTypeAnnotation] != "https://slsa.dev/provenance/v1" || atts[1].MediaType != store.DSSEMediaType {
		t.Fatalf("attestation layers: %+v", atts)
	}

	// The manifest is the one cosign writes: OCI manifest, OCI config, payload layers as they are.
	sigImg, err := remote.Image(tag)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := sigImg.Manifest()
	if m.MediaType != types.OCIManifestSchema1 || m.Config.MediaType != types.OCIConfigJSON || m.Layers[0].Annotations[store.SignatureAnnotation] != "AQID" {
		t.Fatalf("manifest: %+v", m)
	}

	// Copy to another registry, next to the same digest: same manifests; a second copy finds them.
	target := production + "/demo-app@" + img.DigestStr()
	dst, _ := name.NewDigest(target)
	copied, err := s.Copy(ctx, img, dst, s)
	if err != nil {
		t.Fatal(err)
	}
	if len(copied) != 2 || copied[0].Outcome != "copied" || copied[1].Outcome != "copied" {
		t.Fatalf("copy: %+v", copied)
	}
	dstTag, _ := store.Tag(dst, store.Signatures)
	if h, err := remote.Head(dstTag); err != nil || h.Digest != after.Digest {
		t.Fatalf("copied signature manifest %v differs from the source's %s: %v", h, after.Digest, err)
	}
	again, err := s.Copy(ctx, img, dst, s)
	if err != nil || again[0].Outcome != "present" || again[1].Outcome != "present" {
		t.Fatalf("second copy: %+v %v", again, err)
	}

	// A digest with nothing to copy reports it.
	bare := pushRandom(t, staging, "other")
	bareDst, _ := name.NewDigest(production + "/other@" + bare.DigestStr())
	none, err := s.Copy(ctx, bare, bareDst, s)
	if err != nil || none[0].Outcome != "absent" {
		t.Fatalf("copy of an unsigned image: %+v %v", none, err)
	}
	if _, err := s.Copy(ctx, img, bareDst, s); err == nil {
		t.Fatal("Copy between different digests was accepted")
	}
}

func TestReachMapsTheImagesOwnNameToWhereTheRegistryAnswers(t *testing.T) {
	ctx := context.Background()
	host := testRegistry(t)
	pushed := pushRandom(t, host, "demo-app")
	// The image's own name is another host (as inside a container, where the registry is an alias).
	canonical, err := name.NewDigest("canonical.invalid:5000/demo-app@"+pushed.DigestStr(), name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	s := store.Store{Reach: func(r name.Repository) (name.Repository, error) {
		return name.NewRepository(host+"/"+r.RepositoryStr(), name.Insecure)
	}}
	payload := store.NewSimpleSigning(canonical)
	if _, err := s.Add(ctx, canonical, store.Signatures, store.SignatureLayer(payload, []byte{9})); err != nil {
		t.Fatal(err)
	}
	// Written where the registry answers, under the tag of the digest; the payload keeps the own name.
	direct, found, err := (store.Store{}).Read(ctx, pushed, store.Signatures)
	if err != nil || !found || len(direct) != 1 {
		t.Fatalf("read at the registry: %v %v %v", direct, found, err)
	}
	p, _ := store.ParseSimpleSigning(direct[0].Payload)
	if p.Critical.Identity.DockerReference != "canonical.invalid:5000/demo-app" {
		t.Fatalf("docker-reference %q", p.Critical.Identity.DockerReference)
	}
	if got, found, err := s.Read(ctx, canonical, store.Signatures); err != nil || !found || len(got) != 1 {
		t.Fatalf("read through Reach: %v %v", found, err)
	}
}
