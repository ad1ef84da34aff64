// Package blueprintcheck holds the repository's checks of the real blueprint tree (modules/, stacks/,
// environments/, charts/): conventions and wiring through pkg/blueprint, the stack order through
// pkg/stackgraph, and security rules read from the HCL syntax tree with hcl/v2 (IAM wildcards,
// bucket encryption/versioning/public access, secret values in tfvars and values files).
//
// Everything runs in `go test ./...`: no terraform, no provider, no network.
package blueprintcheck

import (
	"os"
	"path/filepath"
)

// RepoRoot walks up from dir to the directory holding go.mod and stacks/.
func RepoRoot(dir string) (string, bool) {
	for {
		if isFile(filepath.Join(dir, "go.mod")) && isDir(filepath.Join(dir, "stacks")) {
			return dir, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

func isFile(p string) bool { st, err := os.Stat(p); return err == nil && !st.IsDir() }
func isDir(p string) bool  { st, err := os.Stat(p); return err == nil && st.IsDir() }
