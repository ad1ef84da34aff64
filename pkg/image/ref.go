// Package image handles the one image a build produces: its tag, the registry it lives in, pushing it,
// and resolving its immutable digest.
//
// The one-pipeline path never polls: the digest comes from the push (or from Dagger's Publish, which
// returns ref@digest) and is cross-checked with exactly one HEAD manifest request. Only the two-pipeline
// case, where another job pushes, waits for a tag with exponential backoff and a deadline.
package image

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

var digestRE = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// Published is a reference as a publish step returns it: <registry>/<repo>[:<tag>]@sha256:<hex>.
type Published struct {
	// Repository is the repository reference without tag or digest, e.g. "127.0.0.1:5000/demo-app".
	Repository string
	// Tag is the tag the reference carried, if any.
	Tag string
	// Digest is "sha256:<64 hex>".
	Digest string
}

// Ref is the immutable reference repository@digest.
func (p Published) Ref() string { return p.Repository + "@" + p.Digest }

// ParsePublished validates a published reference. A reference without a digest is rejected: deploys pin
// digests, and a tag alone could move.
func ParsePublished(ref string) (Published, error) {
	ref = strings.TrimSpace(ref)
	at := strings.LastIndex(ref, "@")
	if at < 0 {
		return Published{}, fmt.Errorf("reference %q has no digest: expected <registry>/<repo>[:<tag>]@sha256:<hex> as a publish step prints it", ref)
	}
	repoAndTag, digest := ref[:at], ref[at+1:]
	if !digestRE.MatchString(digest) {
		return Published{}, fmt.Errorf("reference %q: digest %q must be sha256:<64 lower-case hex>", ref, digest)
	}
	repo, tag := repoAndTag, ""
	// A ':' after the last '/' separates a tag; one before it is a registry port.
	if i := strings.LastIndex(repoAndTag, ":"); i > strings.LastIndex(repoAndTag, "/") {
		repo, tag = repoAndTag[:i], repoAndTag[i+1:]
	}
	if !strings.Contains(repo, "/") {
		return Published{}, fmt.Errorf("reference %q names no registry: expected <registry>/<repo>@sha256:<hex>", ref)
	}
	if _, err := name.NewRepository(repo, name.StrictValidation); err != nil {
		return Published{}, fmt.Errorf("reference %q: repository %q: %w", ref, repo, err)
	}
	if tag != "" {
		if _, err := name.NewTag(repo+":"+tag, name.StrictValidation); err != nil {
			return Published{}, fmt.Errorf("reference %q: tag %q: %w", ref, tag, err)
		}
	}
	return Published{Repository: repo, Tag: tag, Digest: digest}, nil
}
