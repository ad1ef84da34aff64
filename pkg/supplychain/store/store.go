// Package store keeps an image's signatures and attestations where cosign keeps them: in the image's
// own repository, as small OCI images tagged after the image's digest — `sha256-<hex>.sig` (one layer
// per signature: the simple-signing payload, its signature in an annotation) and `sha256-<hex>.att`
// (one layer per attestation: a DSSE envelope, its predicate type in an annotation). So `cosign verify`
// and `cosign verify-attestation` find them, and a copy of those two tags carries them to another
// registry with the image.
package store

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Media types and annotation keys of cosign's layout.
const (
	SimpleSigningMediaType  types.MediaType = "application/vnd.dev.cosign.simplesigning.v1+json"
	DSSEMediaType           types.MediaType = "application/vnd.dsse.envelope.v1+json"
	SignatureAnnotation                     = "dev.cosignproject.cosign/signature"
	PredicateTypeAnnotation                 = "predicateType"
	// SimpleSigningType is the critical.type of a container image signature payload.
	SimpleSigningType = "cosign container image signature"
)

// maxPayload bounds what is read from one signature or attestation layer.
const maxPayload = 32 << 20

// Kind is one of the two tags cosign keeps next to an image.
type Kind string

// The two kinds.
const (
	Signatures   Kind = "sig"
	Attestations Kind = "att"
)

// Tag is where the signatures or attestations of image live: <repository>:sha256-<hex>.<kind>.
func Tag(image name.Digest, kind Kind) (name.Tag, error) {
	algo, hex, ok := strings.Cut(image.DigestStr(), ":")
	if !ok {
		return name.Tag{}, fmt.Errorf("image %s has no digest", image)
	}
	return image.Context().Tag(algo + "-" + hex + "." + string(kind)), nil
}

// SimpleSigning is the payload a container image signature signs (Red Hat's simple signing format as
// cosign writes it): the image's manifest digest, and the repository it was signed in.
type SimpleSigning struct {
	Critical struct {
		Identity struct {
			DockerReference string `json:"docker-reference"`
		} `json:"identity"`
		Image struct {
			DockerManifestDigest string `json:"docker-manifest-digest"`
		} `json:"image"`
		Type string `json:"type"`
	} `json:"critical"`
	Optional map[string]any `json:"optional"`
}

// NewSimpleSigning is the signature payload of image.
func NewSimpleSigning(image name.Digest) []byte {
	var p SimpleSigning
	p.Critical.Identity.DockerReference = image.Context().Name()
	p.Critical.Image.DockerManifestDigest = image.DigestStr()
	p.Critical.Type = SimpleSigningType
	b, _ := json.Marshal(p)
	return b
}

// ParseSimpleSigning decodes a signature payload and checks its type.
func ParseSimpleSigning(payload []byte) (*SimpleSigning, error) {
	var p SimpleSigning
	if err := json.Unmarshal(payload, &p); err != nil {
		return nil, fmt.Errorf("malformed signature payload: %w", err)
	}
	if p.Critical.Type != SimpleSigningType {
		return nil, fmt.Errorf("signature payload type %q is not %q", p.Critical.Type, SimpleSigningType)
	}
	return &p, nil
}

// Layer is one signature or attestation.
type Layer struct {
	MediaType   types.MediaType
	Payload     []byte
	Annotations map[string]string
}

// SignatureLayer is a signature of payload: sig goes base64 into the signature annotation.
func SignatureLayer(payload, sig []byte) Layer {
	return Layer{MediaType: SimpleSigningMediaType, Payload: payload,
		Annotations: map[string]string{SignatureAnnotation: base64.StdEncoding.EncodeToString(sig)}}
}

// AttestationLayer is a DSSE envelope of a statement of predicateType (its signature is inside).
func AttestationLayer(envelope []byte, predicateType string) Layer {
	return Layer{MediaType: DSSEMediaType, Payload: envelope,
		Annotations: map[string]string{SignatureAnnotation: "", PredicateTypeAnnotation: predicateType}}
}

// Signature is the layer's signature (empty for attestations, whose signature is in the envelope).
func (l Layer) Signature() ([]byte, error) {
	return base64.StdEncoding.DecodeString(l.Annotations[SignatureAnnotation])
}

// Digest is the sha256 of the payload: the layer's digest in the manifest.
func (l Layer) Digest() (v1.Hash, error) {
	h, _, err := v1.SHA256(bytes.NewReader(l.Payload))
	return h, err
}

// Store reads and writes those tags with go-containerregistry.
type Store struct {
	// Options carry auth, transport and context to every registry call.
	Options []remote.Option
	// Reach maps an image's repository, by its own name, to where this process reaches it (inside a
	// container: an alias of the registry's host). nil: the repository as named. Payloads and messages
	// keep the image's own name.
	Reach func(name.Repository) (name.Repository, error)
}

// reach is the tag of kind next to image as this process reaches it.
func (s Store) reach(image name.Digest, kind Kind) (name.Tag, error) {
	tag, err := Tag(image, kind)
	if err != nil || s.Reach == nil {
		return tag, err
	}
	repo, err := s.Reach(image.Context())
	if err != nil {
		return name.Tag{}, fmt.Errorf("reach %s: %w", image.Context(), err)
	}
	return repo.Tag(tag.TagStr()), nil
}

func (s Store) opts(ctx context.Context) []remote.Option {
	return append(append([]remote.Option{}, s.Options...), remote.WithContext(ctx))
}

// IsNotFound reports whether a registry error means "no such manifest or repository".
func IsNotFound(err error) bool {
	var te *transport.Error
	if !errors.As(err, &te) {
		return false
	}
	if te.StatusCode == http.StatusNotFound {
		return true
	}
	for _, d := range te.Errors {
		if d.Code == transport.ManifestUnknownErrorCode || d.Code == transport.NameUnknownErrorCode {
			return true
		}
	}
	return false
}

// Read returns the layers under image's tag of kind; found is false when the tag does not exist.
func (s Store) Read(ctx context.Context, image name.Digest, kind Kind) (layers []Layer, found bool, err error) {
	tag, err := Tag(image, kind)
	if err != nil {
		return nil, false, err
	}
	at, err := s.reach(image, kind)
	if err != nil {
		return nil, false, err
	}
	img, err := remote.Image(at, s.opts(ctx)...)
	if IsNotFound(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read %s: %w", tag, err)
	}
	m, err := img.Manifest()
	if err != nil {
		return nil, true, fmt.Errorf("read %s: %w", tag, err)
	}
	for _, d := range m.Layers {
		if d.Size > maxPayload {
			return nil, true, fmt.Errorf("read %s: layer %s is %d bytes, more than a signature or attestation can be (%d)", tag, d.Digest, d.Size, maxPayload)
		}
		l, err := img.LayerByDigest(d.Digest)
		if err != nil {
			return nil, true, fmt.Errorf("read %s layer %s: %w", tag, d.Digest, err)
		}
		rc, err := l.Compressed()
		if err != nil {
			return nil, true, fmt.Errorf("read %s layer %s: %w", tag, d.Digest, err)
		}
		payload, err := io.ReadAll(io.LimitReader(rc, maxPayload+1))
		rc.Close()
		if err != nil {
			return nil, true, fmt.Errorf("read %s layer %s: %w", tag, d.Digest, err)
		}
		if h, _, _ := v1.SHA256(bytes.NewReader(payload)); h != d.Digest {
			return nil, true, fmt.Errorf("read %s: layer content does not match its digest %s", tag, d.Digest)
		}
		ann := map[string]string{}
		for k, v := range d.Annotations {
			ann[k] = v
		}
		layers = append(layers, Layer{MediaType: d.MediaType, Payload: payload, Annotations: ann})
	}
	return layers, true, nil
}

// Image is the OCI image cosign writes for layers: an empty config and one layer per signature or
// attestation, each layer's content being its payload as is.
func Image(layers []Layer) (v1.Image, error) {
	base := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	adds := make([]mutate.Addendum, 0, len(layers))
	for _, l := range layers {
		adds = append(adds, mutate.Addendum{Layer: static.NewLayer(l.Payload, l.MediaType), Annotations: l.Annotations, MediaType: l.MediaType})
	}
	return mutate.Append(base, adds...)
}

// Write puts layers under image's tag of kind, replacing what the tag held. Registries whose tags are
// immutable (ECR IMMUTABLE) refuse to move an existing tag: callers add to a tag only when it is absent
// or does not already hold what they need (see Add).
func (s Store) Write(ctx context.Context, image name.Digest, kind Kind, layers []Layer) error {
	tag, err := Tag(image, kind)
	if err != nil {
		return err
	}
	at, err := s.reach(image, kind)
	if err != nil {
		return err
	}
	img, err := Image(layers)
	if err != nil {
		return fmt.Errorf("assemble %s: %w", tag, err)
	}
	if err := remote.Write(at, img, s.opts(ctx)...); err != nil {
		return fmt.Errorf("push %s: %w%s", tag, err, immutableHint(err))
	}
	return nil
}

func immutableHint(err error) string {
	if strings.Contains(strings.ToLower(err.Error()), "immutable") {
		return " (the repository's tags are immutable and this tag already exists with other content: it was signed before by another run;" +
			" delete the tag, or exclude sha256-* tags from immutability, to sign again)"
	}
	return ""
}

// Add appends layers to image's tag of kind (creating it when absent) and returns the layers now
// there. Layers already present with the same payload and annotations are not added twice.
func (s Store) Add(ctx context.Context, image name.Digest, kind Kind, add ...Layer) ([]Layer, error) {
	existing, _, err := s.Read(ctx, image, kind)
	if err != nil {
		return nil, err
	}
	all := append([]Layer{}, existing...)
	for _, l := range add {
		if !contains(all, l) {
			all = append(all, l)
		}
	}
	if len(all) == len(existing) {
		return existing, nil
	}
	return all, s.Write(ctx, image, kind, all)
}

func contains(layers []Layer, l Layer) bool {
	for _, e := range layers {
		if e.MediaType == l.MediaType && bytes.Equal(e.Payload, l.Payload) && sameAnnotations(e.Annotations, l.Annotations) {
			return true
		}
	}
	return false
}

func sameAnnotations(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// Copied says what Copy did with one tag.
type Copied struct {
	Tag string `json:"tag"`
	// Outcome is "copied", "present" (the target already held the same manifest) or "absent" (the
	// source has no such tag).
	Outcome string `json:"outcome"`
}

// Copy copies the signature and attestation tags of from (another repository, maybe in another
// registry) to the same tags next to to, byte for byte (same manifest digests), so the target verifies
// exactly what the source was given. from and to must name the same digest. dst carries the target
// registry's options when they differ from the source's.
func (s Store) Copy(ctx context.Context, from, to name.Digest, dst Store) ([]Copied, error) {
	if from.DigestStr() != to.DigestStr() {
		return nil, fmt.Errorf("copy signatures: %s and %s are different digests", from, to)
	}
	var out []Copied
	for _, kind := range []Kind{Signatures, Attestations} {
		src, err := s.reach(from, kind)
		if err != nil {
			return out, err
		}
		shown, _ := Tag(from, kind)
		target, err := Tag(to, kind)
		if err != nil {
			return out, err
		}
		dstAt, err := dst.reach(to, kind)
		if err != nil {
			return out, err
		}
		desc, err := remote.Get(src, s.opts(ctx)...)
		if IsNotFound(err) {
			out = append(out, Copied{Tag: target.String(), Outcome: "absent"})
			continue
		}
		if err != nil {
			return out, fmt.Errorf("read %s: %w", shown, err)
		}
		if have, err := remote.Head(dstAt, dst.opts(ctx)...); err == nil && have.Digest == desc.Digest {
			out = append(out, Copied{Tag: target.String(), Outcome: "present"})
			continue
		} else if err != nil && !IsNotFound(err) {
			return out, fmt.Errorf("read %s: %w", target, err)
		}
		img, err := desc.Image()
		if err != nil {
			return out, fmt.Errorf("read %s: %w", shown, err)
		}
		if err := remote.Write(dstAt, img, dst.opts(ctx)...); err != nil {
			return out, fmt.Errorf("push %s: %w%s", target, err, immutableHint(err))
		}
		out = append(out, Copied{Tag: target.String(), Outcome: "copied"})
	}
	return out, nil
}
