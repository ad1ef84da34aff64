// Package gate is the deploy gate: before anything changes on ECS or EKS, the digest to deploy must be
// signed by a key the environment trusts, carry a signed SLSA provenance whose subject is that digest,
// whose commit is the artifact's and whose builder is trusted, and carry a signed SBOM. The gate reads
// what cosign would read (the .sig and .att tags next to the image) and decides; it changes nothing.
package gate

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/platformteam/delivery/pkg/supplychain/attestation"
	"github.com/platformteam/delivery/pkg/supplychain/provenance"
	"github.com/platformteam/delivery/pkg/supplychain/result"
	"github.com/platformteam/delivery/pkg/supplychain/sbom"
	"github.com/platformteam/delivery/pkg/supplychain/signing"
	"github.com/platformteam/delivery/pkg/supplychain/store"
)

// Policy is an environment's trust: the keys whose signatures it accepts and the builders whose
// provenance it accepts.
type Policy struct {
	Environment string
	Keys        []signing.PublicKey
	Builders    []string
}

// Expect is what the artifact to deploy claims.
type Expect struct {
	// Image is the repository and digest to deploy.
	Image name.Digest
	// Commit is the artifact's commit (short or full SHA).
	Commit string
	// AnyCommit accepts the provenance's commit whatever it is (reports about what runs, where no
	// artifact names a commit). A deploy never sets it.
	AnyCommit bool
}

// Reader reads the signature and attestation tags of an image (store.Store does).
type Reader interface {
	Read(ctx context.Context, image name.Digest, kind store.Kind) ([]store.Layer, bool, error)
}

// The checks, in the order the gate reports them (result.Check*).
const (
	CheckSignature  = result.CheckSignature
	CheckProvenance = result.CheckProvenance
	CheckSBOM       = result.CheckSBOM
)

// Verify decides whether expect.Image may be deployed under policy. An error means the gate could not
// read what it needs (the registry failed); callers refuse the deploy then too.
func Verify(ctx context.Context, r Reader, policy Policy, expect Expect) (result.Decision, error) {
	d := result.Decision{Environment: policy.Environment, Image: expect.Image.String()}
	if len(policy.Keys) == 0 {
		return d, fmt.Errorf("environment %s trusts no signing key: set signing.trust in environments/%s/delivery.yaml", policy.Environment, policy.Environment)
	}
	builders := policy.Builders
	if len(builders) == 0 {
		builders = []string{provenance.BuilderID}
	}
	digest := expect.Image.DigestStr()

	sigCheck, signedBy, err := verifySignature(ctx, r, policy, expect.Image)
	if err != nil {
		return d, err
	}
	d.SignedBy = signedBy
	d.Checks = append(d.Checks, sigCheck)

	layers, found, err := r.Read(ctx, expect.Image, store.Attestations)
	if err != nil {
		return d, err
	}
	attTag, _ := store.Tag(expect.Image, store.Attestations)
	if !found {
		reason := fmt.Sprintf("no attestations: %s does not exist", attTag)
		d.Checks = append(d.Checks, result.Check{Name: CheckProvenance, Detail: reason}, result.Check{Name: CheckSBOM, Detail: reason})
		return finish(d), nil
	}
	if expect.Commit == "" && !expect.AnyCommit {
		return d, fmt.Errorf("the gate needs the artifact's commit to check %s's provenance against", expect.Image)
	}
	prov, provSummary := verifyProvenance(layers, policy, builders, digest, expect)
	d.Checks = append(d.Checks, prov)
	d.Provenance = provSummary
	bom, bomSummary := verifySBOM(layers, policy, digest)
	d.Checks = append(d.Checks, bom)
	d.SBOM = bomSummary
	return finish(d), nil
}

func finish(d result.Decision) result.Decision {
	d.Allowed = len(d.Checks) == 3
	for _, c := range d.Checks {
		d.Allowed = d.Allowed && c.OK
	}
	return d
}

func keyNames(keys []signing.PublicKey) string {
	names := make([]string, 0, len(keys))
	for _, k := range keys {
		names = append(names, k.Source)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

func verifySignature(ctx context.Context, r Reader, policy Policy, image name.Digest) (result.Check, string, error) {
	c := result.Check{Name: CheckSignature}
	layers, found, err := r.Read(ctx, image, store.Signatures)
	if err != nil {
		return c, "", err
	}
	tag, _ := store.Tag(image, store.Signatures)
	if !found || len(layers) == 0 {
		c.Detail = fmt.Sprintf("unsigned: %s does not exist (an image pushed by hand, or by anything but publish, is never signed)", tag)
		return c, "", nil
	}
	digest := image.DigestStr()
	var foreign int
	var mismatch []string
	for _, l := range layers {
		if l.MediaType != store.SimpleSigningMediaType {
			continue
		}
		sig, err := l.Signature()
		if err != nil {
			continue
		}
		for _, k := range policy.Keys {
			if !k.Verify(l.Payload, sig) {
				continue
			}
			p, err := store.ParseSimpleSigning(l.Payload)
			if err != nil {
				mismatch = append(mismatch, fmt.Sprintf("a signature by %s has an unreadable payload: %v", k.Source, err))
				break
			}
			if got := p.Critical.Image.DockerManifestDigest; got != digest {
				mismatch = append(mismatch, fmt.Sprintf("the signature by %s is for %s, not %s", k.Source, got, digest))
				break
			}
			c.OK = true
			c.Detail = "signed by " + k.Source
			return c, k.Source, nil
		}
		foreign++
	}
	switch {
	case len(mismatch) > 0:
		c.Detail = "mismatched: " + strings.Join(mismatch, "; ")
	case foreign > 0:
		c.Detail = fmt.Sprintf("foreign: %d signature(s) in %s, none by a key %s trusts (trusted: %s)", foreign, tag, policy.Environment, keyNames(policy.Keys))
	default:
		c.Detail = fmt.Sprintf("unsigned: %s holds no image signature", tag)
	}
	return c, "", nil
}

// opened is an attestation layer whose envelope verified with a trusted key.
type opened struct {
	*attestation.Opened
}

// openAll verifies every attestation layer of predicateType; it returns the verified ones and how many
// were signed by keys the policy does not trust.
func openAll(layers []store.Layer, policy Policy, predicateType string) (verified []opened, foreign int) {
	for _, l := range layers {
		if l.MediaType != store.DSSEMediaType {
			continue
		}
		pt := l.Annotations[store.PredicateTypeAnnotation]
		if pt == "" {
			pt = attestation.PeekPredicateType(l.Payload)
		}
		if pt != predicateType {
			continue
		}
		o, err := attestation.Open(l.Payload, policy.Keys)
		if err != nil {
			foreign++
			continue
		}
		if o.Statement.PredicateType != predicateType {
			continue // the annotation said one type, the signed statement another: the statement wins
		}
		verified = append(verified, opened{o})
	}
	return verified, foreign
}

func verifyProvenance(layers []store.Layer, policy Policy, builders []string, digest string, expect Expect) (result.Check, *result.Provenance) {
	c := result.Check{Name: CheckProvenance}
	verified, foreign := openAll(layers, policy, attestation.PredicateSLSAProvenanceV1)
	if len(verified) == 0 {
		if foreign > 0 {
			c.Detail = fmt.Sprintf("foreign: %d SLSA provenance attestation(s), none signed by a key %s trusts (trusted: %s)", foreign, policy.Environment, keyNames(policy.Keys))
		} else {
			c.Detail = "missing: no SLSA provenance (" + attestation.PredicateSLSAProvenanceV1 + ") attestation"
		}
		return c, nil
	}
	var problems []string
	for _, o := range verified {
		if !o.Statement.HasSubject(digest) {
			problems = append(problems, fmt.Sprintf("the provenance signed by %s is about another image (subject is not %s)", o.Key.Source, digest))
			continue
		}
		p, err := provenance.Parse(o.Statement.Predicate)
		if err != nil {
			problems = append(problems, fmt.Sprintf("the provenance signed by %s: %v", o.Key.Source, err))
			continue
		}
		summary := &result.Provenance{Commit: p.Commit(), BuilderID: p.RunDetails.Builder.ID,
			DaggerEngine: p.RunDetails.Builder.Version[provenance.VersionDaggerEngine], GoVersion: p.GoVersion(), BaseImages: p.BaseImages()}
		if !expect.AnyCommit && !provenance.SameCommit(summary.Commit, expect.Commit) {
			problems = append(problems, fmt.Sprintf("mismatched commit: the provenance says %s was built from commit %q, the artifact says %q", digest, summary.Commit, expect.Commit))
			continue
		}
		if !contains(builders, summary.BuilderID) {
			problems = append(problems, fmt.Sprintf("untrusted builder %q (trusted: %s)", summary.BuilderID, strings.Join(builders, ", ")))
			continue
		}
		if summary.DaggerEngine == "" {
			problems = append(problems, "the provenance names no Dagger engine version")
			continue
		}
		c.OK = true
		c.Detail = fmt.Sprintf("commit %s built by %s (dagger %s), signed by %s", summary.Commit, summary.BuilderID, summary.DaggerEngine, o.Key.Source)
		return c, summary
	}
	c.Detail = strings.Join(problems, "; ")
	return c, nil
}

func verifySBOM(layers []store.Layer, policy Policy, digest string) (result.Check, *result.SBOM) {
	c := result.Check{Name: CheckSBOM}
	verified, foreign := openAll(layers, policy, attestation.PredicateCycloneDX)
	if len(verified) == 0 {
		if foreign > 0 {
			c.Detail = fmt.Sprintf("foreign: %d SBOM attestation(s), none signed by a key %s trusts", foreign, policy.Environment)
		} else {
			c.Detail = "missing: no CycloneDX SBOM (" + attestation.PredicateCycloneDX + ") attestation"
		}
		return c, nil
	}
	var problems []string
	for _, o := range verified {
		if !o.Statement.HasSubject(digest) {
			problems = append(problems, fmt.Sprintf("the SBOM signed by %s is about another image", o.Key.Source))
			continue
		}
		bom, err := sbom.Decode(o.Statement.Predicate)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		if d := sbom.Describes(bom); d != "" && d != digest {
			problems = append(problems, fmt.Sprintf("the SBOM describes %s, not %s", d, digest))
			continue
		}
		s := sbom.Summarize(bom)
		c.OK = true
		c.Detail = fmt.Sprintf("%d Go module(s), %d OS package(s), signed by %s", s.GoModules, s.OSPackages, o.Key.Source)
		return c, &s
	}
	c.Detail = strings.Join(problems, "; ")
	return c, nil
}

func contains(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}

// Running decides, for each distinct image that runs somewhere, whether it is signed and attested under
// the policy: what `verify` reports. No artifact names their commits, so any commit is accepted (the
// provenance's is reported).
func Running(ctx context.Context, r Reader, policy Policy, images []name.Digest) ([]result.Decision, error) {
	seen := map[string]bool{}
	var out []result.Decision
	for _, img := range images {
		if seen[img.String()] {
			continue
		}
		seen[img.String()] = true
		d, err := Verify(ctx, r, policy, Expect{Image: img, AnyCommit: true})
		if err != nil {
			return out, fmt.Errorf("check %s: %w", img, err)
		}
		out = append(out, d)
	}
	return out, nil
}
