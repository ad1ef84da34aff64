// Package verify confirms that what runs is what was built: every ECS task and every pod of the release
// runs the artifact's digest. When the platform does not report the digest a task or pod actually
// pulled, the check falls back to the reference it was started from and says so in the report.
package verify

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// ErrMismatch is returned (wrapped) when something runs another digest or nothing runs at all.
var ErrMismatch = errors.New("running digest does not match the artifact")

// Sources of a checked digest.
const (
	SourceTaskDigest     = "task container imageDigest"
	SourceTaskDefinition = "task definition image (ECS reported no imageDigest)"
	SourceServiceTaskDef = "service task definition (no running tasks listed)"
	SourcePodImageID     = "pod status imageID"
	SourcePodSpec        = "pod spec image (no imageID reported)"
)

// Check is one running unit compared with the artifact.
type Check struct {
	Platform  string `json:"platform"` // ecs or eks
	Target    string `json:"target"`   // task ARN or namespace/pod
	Container string `json:"container"`
	Image     string `json:"image"`
	Digest    string `json:"digest"` // what was found ("" if none)
	Source    string `json:"source"`
	Fallback  bool   `json:"fallback"`
	OK        bool   `json:"ok"`
}

// Report is the outcome of a verification (also the CLI's --json output).
type Report struct {
	Digest     string  `json:"digest"`
	Checks     []Check `json:"checks"`
	Mismatches int     `json:"mismatches"`
	Fallbacks  int     `json:"fallbacks"`
	// Problems are failures that are not a single unit's mismatch (e.g. nothing running).
	Problems []string `json:"problems"`
}

func (r *Report) add(c Check) {
	if !c.OK {
		r.Mismatches++
	}
	if c.Fallback {
		r.Fallbacks++
	}
	r.Checks = append(r.Checks, c)
}

func (r *Report) problem(format string, a ...any) {
	r.Problems = append(r.Problems, fmt.Sprintf(format, a...))
}

// Merge appends another report's checks and problems.
func (r *Report) Merge(o Report) {
	for _, c := range o.Checks {
		r.add(c)
	}
	r.Problems = append(r.Problems, o.Problems...)
}

// Err is nil when every check matched, nothing failed, and (if strict) nothing needed a fallback.
func (r *Report) Err(strict bool) error {
	var msgs []string
	for _, c := range r.Checks {
		if !c.OK {
			found := c.Digest
			if found == "" {
				found = "no digest (" + c.Image + ")"
			}
			msgs = append(msgs, fmt.Sprintf("%s %s container %s runs %s", c.Platform, c.Target, c.Container, found))
		}
	}
	msgs = append(msgs, r.Problems...)
	if strict && r.Fallbacks > 0 {
		msgs = append(msgs, fmt.Sprintf("%d check(s) relied on a fallback source and --strict is set", r.Fallbacks))
	}
	if len(msgs) == 0 {
		return nil
	}
	return fmt.Errorf("%w %s: %s", ErrMismatch, r.Digest, strings.Join(msgs, "; "))
}

// Print writes one line per check.
func (r *Report) Print(w io.Writer) {
	for _, c := range r.Checks {
		mark := "ok  "
		if !c.OK {
			mark = "FAIL"
		}
		fmt.Fprintf(w, "%s %s %s (%s): %s [%s]\n", mark, c.Platform, c.Target, c.Container, orNone(c.Digest), c.Source)
	}
	for _, p := range r.Problems {
		fmt.Fprintf(w, "FAIL %s\n", p)
	}
	fmt.Fprintf(w, "%d check(s), %d mismatch(es), %d fallback(s); expected %s\n", len(r.Checks), r.Mismatches, r.Fallbacks, r.Digest)
}

// digestOf extracts the sha256 digest from "repo@sha256:..." or "docker-pullable://repo@sha256:...".
func digestOf(ref string) string {
	if i := strings.LastIndex(ref, "@"); i >= 0 {
		return ref[i+1:]
	}
	if strings.HasPrefix(ref, "sha256:") {
		return ref
	}
	return ""
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
