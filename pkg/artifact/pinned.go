package artifact

import (
	"errors"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Pinned is an image pinned by its manifest digest: <registry>/<repository>[:<tag>]@sha256:<hex>.
// It is parsed once (on go-containerregistry's name.Digest) and passed typed; the tag, when present,
// is informational (the short commit SHA the image was pushed under) and never used to pull.
type Pinned struct {
	ref name.Digest
	tag string
}

// hostLike reports whether the first path component of a reference names a registry host, as the
// references this project writes always do (a reference without one would silently mean a public
// registry).
func hostLike(s string) bool {
	return strings.ContainsAny(s, ".:") || s == "localhost"
}

// ParsePinned parses <registry>/<repository>[:<tag>]@sha256:<64 hex>. A reference without a digest or
// without a registry host is refused: deploys pin digests, and a tag alone could move.
func ParsePinned(ref string) (Pinned, error) {
	ref = strings.TrimSpace(ref)
	repoAndTag, digest, ok := strings.Cut(ref, "@")
	if !ok {
		return Pinned{}, fmt.Errorf("reference %q has no digest: expected <registry>/<repository>[:<tag>]@sha256:<hex>", ref)
	}
	repo, tag := repoAndTag, ""
	// A ':' after the last '/' separates a tag; one before it is a registry port.
	if i := strings.LastIndex(repoAndTag, ":"); i > strings.LastIndex(repoAndTag, "/") {
		repo, tag = repoAndTag[:i], repoAndTag[i+1:]
	}
	p, err := NewPinned(repo, digest)
	if err != nil {
		return Pinned{}, fmt.Errorf("reference %q: %w", ref, err)
	}
	if tag != "" {
		if p, err = p.WithTag(tag); err != nil {
			return Pinned{}, fmt.Errorf("reference %q: %w", ref, err)
		}
	}
	return p, nil
}

// NewPinned pins repository (<registry>/<path>, no tag or digest) to digest (sha256:<64 lower-case hex>).
func NewPinned(repository, digest string) (Pinned, error) {
	var errs []error
	host, _, ok := strings.Cut(repository, "/")
	switch {
	case repository == "":
		errs = append(errs, errors.New("repository is empty"))
	case strings.ContainsAny(repository, "@"):
		errs = append(errs, fmt.Errorf("repository %q must not carry a digest", repository))
	case !ok || !hostLike(host):
		errs = append(errs, fmt.Errorf("repository %q names no registry host: expected <registry>/<path>", repository))
	default:
		if _, err := name.NewRepository(repository, name.StrictValidation); err != nil {
			errs = append(errs, fmt.Errorf("repository %q is not a repository reference ([host[:port]/]path, lower-case): %v", repository, err))
		}
	}
	if err := CheckDigest(digest); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return Pinned{}, errors.Join(errs...)
	}
	d, err := name.NewDigest(repository+"@"+digest, name.StrictValidation)
	if err != nil {
		return Pinned{}, fmt.Errorf("%s@%s: %w", repository, digest, err)
	}
	return Pinned{ref: d}, nil
}

// CheckDigest accepts exactly sha256:<64 lower-case hex>, the only digest form registries return for
// the images this pipeline builds.
func CheckDigest(digest string) error {
	h, err := v1.NewHash(digest)
	if err != nil || h.Algorithm != "sha256" || h.String() != digest || strings.ToLower(h.Hex) != h.Hex {
		return fmt.Errorf("digest %q must be sha256:<64 lower-case hex>", digest)
	}
	return nil
}

// WithTag returns the same pinned image, recording the tag it was pushed under.
func (p Pinned) WithTag(tag string) (Pinned, error) {
	if _, err := name.NewTag(p.Repository()+":"+tag, name.StrictValidation); err != nil {
		return Pinned{}, fmt.Errorf("tag %q: %v", tag, err)
	}
	p.tag = tag
	return p, nil
}

// In returns the same digest in another repository (a promotion's target), keeping the tag.
func (p Pinned) In(repository string) (Pinned, error) {
	q, err := NewPinned(repository, p.Digest())
	if err != nil {
		return Pinned{}, err
	}
	q.tag = p.tag
	return q, nil
}

// IsZero reports whether p was never set.
func (p Pinned) IsZero() bool { return p.ref.DigestStr() == "" }

// Repository is <registry>/<path> as written (no tag, no digest).
func (p Pinned) Repository() string { return p.ref.Context().Name() }

// Registry is the registry host[:port].
func (p Pinned) Registry() string { return p.ref.Context().RegistryStr() }

// Path is the repository path inside the registry, e.g. "demo-app".
func (p Pinned) Path() string { return p.ref.Context().RepositoryStr() }

// Account is the AWS account of an ECR registry (<account>.dkr.ecr.<region>.amazonaws.com[.cn]),
// "" for any other registry.
func (p Pinned) Account() string {
	acct, rest, ok := strings.Cut(p.Registry(), ".")
	if ok && len(acct) == 12 && strings.Trim(acct, "0123456789") == "" && strings.HasPrefix(rest, "dkr.ecr.") {
		return acct
	}
	return ""
}

// Digest is "sha256:<hex>".
func (p Pinned) Digest() string { return p.ref.DigestStr() }

// Hash is the digest as go-containerregistry's type.
func (p Pinned) Hash() v1.Hash {
	h, _ := v1.NewHash(p.Digest()) // validated on construction
	return h
}

// Tag is the tag the image was pushed under ("" when unknown).
func (p Pinned) Tag() string { return p.tag }

// String is the immutable reference deploys use: <repository>@<digest>.
func (p Pinned) String() string { return p.Repository() + "@" + p.Digest() }

// Tagged is <repository>:<tag>@<digest>, or String() without a tag.
func (p Pinned) Tagged() string {
	if p.tag == "" {
		return p.String()
	}
	return p.Repository() + ":" + p.tag + "@" + p.Digest()
}

// Ref is the go-containerregistry reference (by digest).
func (p Pinned) Ref() name.Digest { return p.ref }

// SameImage reports whether both name the same digest in the same repository (tags aside).
func (p Pinned) SameImage(o Pinned) bool { return p.String() == o.String() }

// MarshalText writes Tagged().
func (p Pinned) MarshalText() ([]byte, error) {
	if p.IsZero() {
		return []byte{}, nil
	}
	return []byte(p.Tagged()), nil
}

// UnmarshalText parses what MarshalText wrote (empty stays zero).
func (p *Pinned) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*p = Pinned{}
		return nil
	}
	q, err := ParsePinned(string(b))
	if err != nil {
		return err
	}
	*p = q
	return nil
}
