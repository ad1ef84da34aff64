package sandbox

import (
	"time"

	"github.com/platformteam/delivery/internal/sandbox/toolchain"
)

// awsFrontMain is the AWS endpoint's command, and awsFrontSources every directory of the module it is
// built from (a test checks that against `go list -deps`).
const awsFrontMain = "internal/sandbox/cmd/aws-front"

var awsFrontSources = []string{awsFrontMain, "internal/sandbox/awsfront", "internal/sandbox/registryfront", "internal/sandbox/iameval",
	"internal/sandbox/oidc", "internal/fake/ecs"}

// awsFrontTool is the project's own AWS endpoint: keyed by a hash of its sources, so an edit rebuilds it.
func (l Layout) awsFrontTool() toolchain.GoTool {
	return toolchain.GoTool{
		Name: "aws-front", Version: toolchain.SourceVersion(l.RepoRoot, awsFrontSources...), Binary: "aws-front",
		Timeout: 10 * time.Minute, Why: "the AWS endpoint in front of moto", Expect: "seconds",
		ModuleDir: l.RepoRoot, Target: "./" + awsFrontMain,
	}
}
