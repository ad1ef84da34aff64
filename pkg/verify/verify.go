// Package verify confirms that what runs is what was built: every ECS task and every pod of the release
// runs the artifact's digest. When the platform does not report the digest a task or pod actually
// pulled, the check falls back to the reference it was started from and says so in the report.
package verify

import (
	"strings"

	"github.com/platformteam/delivery/pkg/release/api"
)

// ErrMismatch is returned (wrapped) when something runs another digest or nothing runs at all.
var ErrMismatch = api.ErrMismatch

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
