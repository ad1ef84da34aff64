package release

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/platformteam/delivery/pkg/artifact"
	"github.com/platformteam/delivery/pkg/image"
	"github.com/platformteam/delivery/pkg/release/api"
	"github.com/platformteam/delivery/pkg/supplychain"
	"github.com/platformteam/delivery/pkg/supplychain/gate"
	"github.com/platformteam/delivery/pkg/supplychain/provenance"
	"github.com/platformteam/delivery/pkg/supplychain/result"
	"github.com/platformteam/delivery/pkg/supplychain/sbom"
	"github.com/platformteam/delivery/pkg/supplychain/signing"
	"github.com/platformteam/delivery/pkg/supplychain/store"
)

// The supply chain of a release (docs/supply-chain.md): publish signs and attests what it pushes, every
// deploy first passes the deploy gate, promotion carries the evidence along, verify reports it.

// signatures reaches the signature and attestation tags through a registry (its host, or an alias).
func signatures(ctx context.Context, reg image.Registry) store.Store {
	return store.Store{Reach: func(repo name.Repository) (name.Repository, error) {
		r, _, err := reg.Reach(ctx, repo)
		return r, err
	}, Options: reg.Options(ctx)}
}

// TrustPolicy resolves the environment's trust policy (delivery.yaml signing.trust): the public half
// of each trusted KMS key, read with the environment's own credentials, and each committed PEM file.
func (a *Access) TrustPolicy(ctx context.Context) (gate.Policy, error) {
	read := func(rel string) ([]byte, error) {
		return os.ReadFile(filepath.Join(a.Env.Root, filepath.FromSlash(rel)))
	}
	return gate.PolicyFor(ctx, a.Env, accessKMS{a}, read)
}

// accessKMS reads public keys with the environment's credentials, connecting on first use: a trust
// policy of committed PEM files needs no AWS call.
type accessKMS struct{ a *Access }

func (k accessKMS) GetPublicKey(ctx context.Context, in *kms.GetPublicKeyInput, optFns ...func(*kms.Options)) (*kms.GetPublicKeyOutput, error) {
	cfg, err := k.a.AWS(ctx)
	if err != nil {
		return nil, err
	}
	return kms.NewFromConfig(cfg).GetPublicKey(ctx, in, optFns...)
}

// Gate is the deploy gate: art's digest must be signed by a key the environment trusts and carry a
// signed SLSA provenance (subject = the digest, commit = the artifact's, a trusted builder) and a
// signed SBOM. It changes nothing. A refusal returns the decision and a *result.RefusedError; a
// registry or KMS failure refuses too (the gate fails closed).
func Gate(ctx context.Context, a *Access, art *artifact.Artifact) (result.Decision, error) {
	policy, err := a.TrustPolicy(ctx)
	if err != nil {
		return result.Decision{}, fmt.Errorf("deploy gate of %s: %w; nothing was changed", a.Env.Name, err)
	}
	reg, err := a.Registry(ctx)
	if err != nil {
		return result.Decision{}, err
	}
	if art.Image.Registry() != RegistryHost(a.Env) {
		reg = reg.At("") // another registry (a promotion's source), with the same credentials
	}
	d, err := gate.Verify(ctx, signatures(ctx, reg), policy, gate.Expect{Image: art.Image.Ref(), Commit: art.Commit.String()})
	if err != nil {
		return d, fmt.Errorf("deploy gate of %s: %w; nothing was changed", a.Env.Name, err)
	}
	if err := d.Err(); err != nil {
		return d, err
	}
	fmt.Fprintf(a.Out, "deploy gate of %s: %s is %s\n", a.Env.Name, art.Ref(), d.Summary())
	return d, nil
}

// PublishAttested is Publish with the supply chain: the image is loaded, its SBOM read from its
// layers, its digest, SLSA provenance and SBOM signed with the environment's signing key (signing.key)
// and stored next to it, then the image is pushed under the commit's tag. The tag comes last, so a
// tag always names an image that carries its evidence; a re-run of the same commit finds everything
// and writes nothing.
func PublishAttested(ctx context.Context, a *Access, source string, commit artifact.Commit, build provenance.Build, now time.Time) (api.Publication, error) {
	if build.Environment != a.Env.Name {
		return api.Publication{}, fmt.Errorf("the build record names environment %q, the job %q", build.Environment, a.Env.Name)
	}
	if !provenance.SameCommit(build.Commit, commit.String()) {
		return api.Publication{}, fmt.Errorf("the build record names commit %s, the push %s", build.Commit, commit)
	}
	loaded, err := image.Load(source)
	if err != nil {
		return api.Publication{}, err
	}
	defer loaded.Close()
	reg, err := a.Registry(ctx)
	if err != nil {
		return api.Publication{}, err
	}
	cfg, err := a.AWS(ctx)
	if err != nil {
		return api.Publication{}, err
	}
	signer, err := signing.NewKMSSigner(ctx, kms.NewFromConfig(cfg), a.Env.Signing.Key)
	if err != nil {
		return api.Publication{}, fmt.Errorf("the signing key of %s (signing.key %s): %w", a.Env.Name, a.Env.Signing.Key, err)
	}
	repo := Repository(a.Env)
	attester := &supplychain.Attester{Store: signatures(ctx, reg), Signer: signer, Tool: sbom.Tool{Name: "delivery release"},
		Fetch: func(context.Context, name.Digest) (v1.Image, error) { return loaded.Image, nil }}
	att, err := attester.Attest(ctx, supplychain.Request{Image: repo + "@" + loaded.Digest, Build: build})
	if err != nil {
		return api.Publication{}, err
	}
	// What the supply chain added, beside the build step it follows (the build record's start and finish):
	// scripts/bench-supply-chain.sh reads this line.
	fmt.Fprintf(a.Out, "%s@%s: %s (check %s, SBOM %s, sign %s, store %s; build step %s)\n", repo, loaded.Digest, att.Line(),
		att.Timings.Check.Round(time.Millisecond), att.Timings.SBOM.Round(time.Millisecond), att.Timings.Sign.Round(time.Millisecond), att.Timings.Store.Round(time.Millisecond),
		build.FinishedOn.Sub(build.StartedOn).Round(time.Millisecond))
	pushed, err := image.PushLoaded(ctx, reg, repo, commit.Short(), loaded)
	if err != nil {
		return api.Publication{}, err
	}
	pub, err := publication(a, pushed, commit, now)
	if err != nil {
		return api.Publication{}, err
	}
	pub.Attestation = &att
	return pub, nil
}

// runningDecisions are the gate's decisions (any commit) for every distinct digest the checks saw
// running; an image reference without a repository falls back to the artifact's.
func runningDecisions(ctx context.Context, a *Access, art *artifact.Artifact, checks []api.Check) ([]result.Decision, error) {
	var images []name.Digest
	for _, c := range checks {
		if c.Digest == "" {
			continue
		}
		repo := art.Repository()
		if r := repositoryOf(c.Image); r != "" {
			repo = r
		}
		d, err := name.NewDigest(repo+"@"+c.Digest, name.WeakValidation)
		if err != nil {
			continue
		}
		images = append(images, d)
	}
	if len(images) == 0 {
		return nil, nil
	}
	policy, err := a.TrustPolicy(ctx)
	if err != nil {
		return nil, err
	}
	reg, err := a.Registry(ctx)
	if err != nil {
		return nil, err
	}
	return gate.Running(ctx, signatures(ctx, reg), policy, images)
}

// repositoryOf is the repository of an image reference (repo[:tag][@digest], or a kubelet imageID
// docker-pullable://repo@digest); "" when it names none.
func repositoryOf(ref string) string {
	ref = strings.TrimPrefix(ref, "docker-pullable://")
	if i := strings.LastIndex(ref, "@"); i >= 0 {
		ref = ref[:i]
	}
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		ref = ref[:i]
	}
	if !strings.Contains(ref, "/") {
		return ""
	}
	return ref
}
