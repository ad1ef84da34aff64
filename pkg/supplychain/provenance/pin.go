package provenance

import (
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// Pin turns a configured base image reference (delivery.yaml images.go / images.runtime, a tag or a
// digest reference) and the digest reference the builder resolved it to into the base image the
// build uses and records. The build starts from Ref@Digest, never from a tag that may move during the
// run; a configured digest must be the one resolved. "scratch" (the empty base) needs no pinning.
func Pin(role, configured, resolved string) (BaseImage, error) {
	if configured == "scratch" {
		return BaseImage{Role: role, Ref: "scratch"}, nil
	}
	conf, err := name.ParseReference(configured, name.WeakValidation)
	if err != nil {
		return BaseImage{}, fmt.Errorf("base image %s (%s): %w", configured, role, err)
	}
	at := strings.LastIndex(resolved, "@")
	if at < 0 {
		return BaseImage{}, fmt.Errorf("base image %s (%s) resolved to %q, which names no digest", configured, role, resolved)
	}
	digest := resolved[at+1:]
	if !isDigest(digest) {
		return BaseImage{}, fmt.Errorf("base image %s (%s) resolved to digest %q, not sha256:<64 hex>", configured, role, digest)
	}
	if d, ok := conf.(name.Digest); ok && d.DigestStr() != digest {
		return BaseImage{}, fmt.Errorf("base image %s (%s) is pinned to %s but the registry serves %s", configured, role, d.DigestStr(), digest)
	}
	ref := configured
	if i := strings.LastIndex(ref, "@"); i >= 0 {
		ref = ref[:i]
	}
	return BaseImage{Role: role, Ref: ref, Digest: digest}, nil
}

// Reference is what the build starts from: the reference pinned by its digest (scratch as is).
func (b BaseImage) Reference() string {
	if b.Digest == "" {
		return b.Ref
	}
	return b.Ref + "@" + b.Digest
}
