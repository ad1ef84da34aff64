package blueprint

import (
	"fmt"
	"strings"

	"github.com/hashicorp/go-version"
)

// MinTerraform is the oldest terraform the engine's features work with: the S3 backend's native lock
// file (use_lockfile) and its endpoints block need 1.10.
const MinTerraform = "1.10.0"

// newestBefore are the last releases before MinTerraform; a required_version admitting any of them
// admits a terraform that cannot run the stacks.
var newestBefore = []string{"1.9.8", "1.5.7"}

// lintVersions checks a stack's or module's terraform block: required_version, when set, must not
// admit a terraform older than MinTerraform, and every required provider must carry a version
// constraint with an upper bound (~> or <), so a new major provider release never arrives unannounced.
func lintVersions(kind, name string, c *Config) Findings {
	var fs Findings
	if rv := c.RequiredVersion; rv != nil {
		cons, err := version.NewConstraint(rv.Constraint)
		switch {
		case err != nil:
			fs = append(fs, findingAt(rv.Range, RuleTerraformVersion, fmt.Sprintf("%s %s: required_version %q is not a version constraint: %v", kind, name, rv.Constraint, err),
				`write required_version = ">= 1.10, < 2.0"`))
		default:
			for _, old := range newestBefore {
				if cons.Check(version.Must(version.NewVersion(old))) {
					fs = append(fs, findingAt(rv.Range, RuleTerraformVersion, fmt.Sprintf("%s %s: required_version %q admits terraform %s, older than the %s the engine needs (S3 use_lockfile and endpoints)", kind, name, rv.Constraint, old, MinTerraform),
						`write required_version = ">= 1.10, < 2.0"`))
					break
				}
			}
		}
	}
	for _, p := range sortedKeys(c.ProviderVersions) {
		pv := c.ProviderVersions[p]
		switch {
		case pv.Constraint == "":
			fs = append(fs, findingAt(pv.Range, RuleProviderVersion, fmt.Sprintf("%s %s: provider %q has no version constraint", kind, name, p),
				`add version = "~> <major>.<minor>" (for example "~> 5.0") to its required_providers entry`))
		case !upperBounded(pv.Constraint):
			fs = append(fs, findingAt(pv.Range, RuleProviderVersion, fmt.Sprintf("%s %s: provider %q version %q has no upper bound, so the next major release is picked up unannounced", kind, name, p, pv.Constraint),
				`use "~> <major>.<minor>" (for example "~> 5.0") or add an upper bound ("< 6.0")`))
		}
	}
	return fs
}

// upperBounded reports whether a constraint caps the version: a pessimistic (~>), less-than or exact
// term.
func upperBounded(constraint string) bool {
	for _, term := range strings.Split(constraint, ",") {
		term = strings.TrimSpace(term)
		switch {
		case strings.HasPrefix(term, "~>"), strings.HasPrefix(term, "<"), strings.HasPrefix(term, "="):
			return true
		case term != "" && (term[0] >= '0' && term[0] <= '9' || term[0] == 'v'):
			return true // a bare version is an exact pin
		}
	}
	return false
}
