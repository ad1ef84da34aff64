package sandbox

import (
	"time"

	"github.com/platformteam/delivery/internal/sandbox/toolchain"
)

// awsFrontMain is the AWS endpoint's command, and awsFrontSources every directory of the module it is
// built from (a test checks that against `go list -deps`).
const awsFrontMain = "internal/sandbox/cmd/aws-front"

var awsFrontSources = []string{awsFrontMain, "internal/sandbox/awsfront", "internal/sandbox/registryfront", "internal/sandbox/iameval",
	"internal/sandbox/oidc", "internal/sandbox/ekstwin", "internal/fake/ecs"}

// awsFrontTool is the project's own AWS endpoint: keyed by a hash of its sources, so an edit rebuilds it.
func (l Layout) awsFrontTool() toolchain.GoTool {
	return toolchain.GoTool{
		Name: "aws-front", Version: toolchain.SourceVersion(l.RepoRoot, awsFrontSources...), Binary: "aws-front",
		Timeout: 10 * time.Minute, Why: "the AWS endpoint in front of moto", Expect: "seconds",
		ModuleDir: l.RepoRoot, Target: "./" + awsFrontMain,
	}
}

// kubeTwinMain is the clusters' fault proxies and kube agents (internal/sandbox/kubetwin), and
// kubeTwinSources every directory of the module it is built from.
const kubeTwinMain = "internal/sandbox/cmd/kube-twin"

var kubeTwinSources = []string{kubeTwinMain, "internal/sandbox/kubetwin", "internal/sandbox/kubeagent", "internal/sandbox/faultproxy",
	"internal/sandbox/externalsecrets", "internal/sandbox/ekstwin", "internal/sandbox/kube/kwokstages", "internal/sandbox/awsfront/credentials",
	"internal/sandbox/awsfront/sigv4"}

// kubeTwinTool is built like the AWS endpoint: keyed by a hash of its sources.
func (l Layout) kubeTwinTool() toolchain.GoTool {
	return toolchain.GoTool{
		Name: "kube-twin", Version: toolchain.SourceVersion(l.RepoRoot, kubeTwinSources...), Binary: "kube-twin",
		Timeout: 30 * time.Minute, Why: "the clusters' fault proxies, kubelet stand-in and External Secrets stand-in",
		Expect:    "a few minutes the first time (client-go, the AWS SDK), seconds after an edit",
		ModuleDir: l.RepoRoot, Target: "./" + kubeTwinMain,
	}
}
