// Package supplychain is what publish does after the push, and what the deploy gate checks before any
// deploy: every image the pipeline publishes gets a CycloneDX SBOM, a signature of its digest and a
// SLSA v1 provenance, signed with the environment's KMS key and stored next to the image where cosign
// finds them (docs/supply-chain.md).
//
// The parts, one idea each:
//   - signing: the KMS signer (ECDSA P-256, SHA-256, as cosign's awskms://) and public keys;
//   - attestation: in-toto statements in DSSE envelopes;
//   - sbom: the CycloneDX SBOM of an image, read from its layers;
//   - provenance: the SLSA v1 predicate of a build;
//   - store: the .sig and .att tags, cosign's layout, with go-containerregistry;
//   - gate: the deploy gate's decision under an environment's trust policy.
package supplychain

import (
	"context"
	"errors"
	"fmt"
	"path"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/platformteam/delivery/pkg/supplychain/attestation"
	"github.com/platformteam/delivery/pkg/supplychain/gate"
	"github.com/platformteam/delivery/pkg/supplychain/provenance"
	"github.com/platformteam/delivery/pkg/supplychain/result"
	"github.com/platformteam/delivery/pkg/supplychain/sbom"
	"github.com/platformteam/delivery/pkg/supplychain/signing"
	"github.com/platformteam/delivery/pkg/supplychain/store"
)

// Request is what the publish step hands over after the push: the image by digest and what the build
// knows about itself. Build.GoVersion may be empty: it is read from the image's Go binary.
type Request struct {
	// Image is the pushed image: <registry>/<repository>@sha256:<hex>.
	Image string           `json:"image"`
	Build provenance.Build `json:"build"`
}

// Attester signs and attests published images.
type Attester struct {
	Store  store.Store
	Signer signing.Signer
	// Fetch returns the pushed image (remote.Image with the registry's auth).
	Fetch func(ctx context.Context, ref name.Digest) (v1.Image, error)
	// Tool names the SBOM generator (name and version of the pipeline).
	Tool sbom.Tool
	Now  func() time.Time
}

// Attest makes sure req.Image carries a signature, a SLSA provenance and an SBOM by the signer's key.
// What a previous run already stored for this digest and commit is kept, not made again (a re-run of
// the same commit changes nothing, which registries with immutable tags require).
func (a *Attester) Attest(ctx context.Context, req Request) (result.Attestation, error) {
	now := a.Now
	if now == nil {
		now = time.Now
	}
	ref, err := name.NewDigest(req.Image)
	if err != nil {
		return result.Attestation{}, fmt.Errorf("attest: image %q is not <repository>@sha256:<digest>: %w", req.Image, err)
	}
	key := a.Signer.PublicKey()
	res := result.Attestation{Image: ref.String(), Key: key.Source}

	// What exists already, judged as the gate judges it with only this key trusted.
	start := now()
	existing, err := gate.Verify(ctx, a.Store, gate.Policy{Environment: req.Build.Environment, Keys: []signing.PublicKey{key}},
		gate.Expect{Image: ref, Commit: req.Build.Commit})
	if err != nil {
		return res, fmt.Errorf("attest %s: read existing signatures: %w", ref, err)
	}
	res.Timings.Check = now().Sub(start)
	res.Signature, res.Provenance, res.SBOM = result.Created, result.Created, result.Created
	if existing.Check(gate.CheckSignature).OK {
		res.Signature = result.Present
	}
	if existing.Check(gate.CheckProvenance).OK {
		res.Provenance = result.Present
	}
	if existing.Check(gate.CheckSBOM).OK {
		res.SBOM = result.Present
		res.SBOMSummary = *existing.SBOM
	}
	if !res.Changed() {
		return res, nil
	}

	// The SBOM (and the Go version of the binary, for the provenance) from the image's layers.
	start = now()
	img, err := a.Fetch(ctx, ref)
	if err != nil {
		return res, fmt.Errorf("attest: read the pushed image %s: %w", ref, err)
	}
	base, err := runtimeBase(req.Build)
	if err != nil {
		return res, err
	}
	bom, summary, err := sbom.Generate(img, sbom.Image{Repository: ref.Context().Name(), Digest: ref.DigestStr()}, base, a.Tool, now())
	if err != nil {
		return res, fmt.Errorf("attest: SBOM of %s: %w", ref, err)
	}
	bomJSON, err := sbom.Encode(bom)
	if err != nil {
		return res, err
	}
	res.SBOMSummary = summary
	build := req.Build
	if build.GoVersion == "" {
		build.GoVersion = summary.GoVersionOf(entrypoint(img))
		if build.GoVersion == "" {
			return res, fmt.Errorf("attest: %s holds no Go binary with build information (found %d): the provenance records the Go version the app was built with", ref, summary.GoBinaries)
		}
	}
	pred, err := provenance.New(build)
	if err != nil {
		return res, err
	}
	res.Timings.SBOM = now().Sub(start)

	// Signatures: the image digest, then one envelope per attestation still missing.
	start = now()
	var sigLayer store.Layer
	if res.Signature == result.Created {
		payload := store.NewSimpleSigning(ref)
		sig, err := a.Signer.Sign(ctx, payload)
		if err != nil {
			return res, fmt.Errorf("attest: sign %s: %w", ref, err)
		}
		sigLayer = store.SignatureLayer(payload, sig)
	}
	var atts []store.Layer
	for _, p := range []struct {
		outcome       result.Outcome
		predicateType string
		predicate     any
	}{
		{res.Provenance, attestation.PredicateSLSAProvenanceV1, pred},
		{res.SBOM, attestation.PredicateCycloneDX, rawJSON(bomJSON)},
	} {
		if p.outcome != result.Created {
			continue
		}
		st, err := attestation.NewStatement(ref.Context().Name(), ref.DigestStr(), p.predicateType, p.predicate)
		if err != nil {
			return res, err
		}
		env, err := attestation.Seal(ctx, a.Signer, st)
		if err != nil {
			return res, err
		}
		atts = append(atts, store.AttestationLayer(env, p.predicateType))
	}
	res.Timings.Sign = now().Sub(start)

	start = now()
	if res.Signature == result.Created {
		if _, err := a.Store.Add(ctx, ref, store.Signatures, sigLayer); err != nil {
			return res, fmt.Errorf("attest: store the signature: %w", err)
		}
	}
	if len(atts) > 0 {
		if _, err := a.Store.Add(ctx, ref, store.Attestations, atts...); err != nil {
			return res, fmt.Errorf("attest: store the attestations: %w", err)
		}
	}
	res.Timings.Store = now().Sub(start)
	return res, nil
}

// rawJSON embeds already-encoded JSON as a predicate.
type rawJSON []byte

func (r rawJSON) MarshalJSON() ([]byte, error) { return r, nil }

func runtimeBase(b provenance.Build) (sbom.BaseImage, error) {
	for _, img := range b.BaseImages {
		if img.Role == "runtime" {
			return sbom.BaseImage{Ref: img.Ref, Digest: img.Digest}, nil
		}
	}
	return sbom.BaseImage{}, errors.New("attest: the build names no runtime base image (base_images with role runtime)")
}

// entrypoint is the path of the image's entrypoint binary ("" when it has none).
func entrypoint(img v1.Image) string {
	cfg, err := img.ConfigFile()
	if err != nil || cfg == nil || len(cfg.Config.Entrypoint) == 0 {
		return ""
	}
	return path.Clean("/" + cfg.Config.Entrypoint[0])
}
