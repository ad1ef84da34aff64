package sandbox

// Pinned versions of the tools the sandbox builds. Change them here only; the build cache directory
// names include the version, so a bump builds the new tool beside the old one.
const (
	KubernetesVersion = "v1.37.2"
	EtcdVersion       = "v3.7.3"
	KwokVersion       = "v0.8.0"
	// TerraformFallbackVersion is built from the Go proxy when no terraform or tofu >= MinTerraformVersion
	// is on PATH (the last MPL-licensed terraform release).
	TerraformFallbackVersion = "v1.5.7"
	// MinTerraformVersion is the oldest terraform/tofu the sandbox accepts from PATH.
	MinTerraformVersion = "1.5.0"
	// BackendTerraformVersion is the oldest terraform/tofu that reads environments/local/backend.hcl:
	// its endpoints block needs 1.6 and use_lockfile needs 1.10. Older ones get a warning from up.
	BackendTerraformVersion = "1.10.0"
)

// Loopback addresses of the sandbox's services (the sandbox contract in docs/CONVENTIONS.md).
const (
	Host              = "127.0.0.1"
	MotoPort          = 4566 // the AWS endpoint clients use: aws-front, in front of moto
	MotoBackendPort   = 4567 // moto itself
	RegistryPort      = 5000
	EtcdClientPort    = 2379
	EtcdPeerPort      = 2380
	APIServerPort     = 6443
	ControllerMgrPort = 10257
	SchedulerPort     = 10259
)
