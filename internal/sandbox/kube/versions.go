package kube

// Pinned versions of the cluster's tools. Change them here only; the build cache directory names
// include the version, so a bump builds the new tool beside the old one.
const (
	KubernetesVersion = "v1.37.2"
	EtcdVersion       = "v3.7.3"
	KwokVersion       = "v0.8.0"
)

// Ports of the cluster on proc.Host (the sandbox contract in docs/CONVENTIONS.md).
const (
	EtcdClientPort    = 2379
	EtcdPeerPort      = 2380
	APIServerPort     = 6443
	ControllerMgrPort = 10257
	SchedulerPort     = 10259
	ProxyPort         = 7443 // the first cluster's fault proxy (what DescribeCluster reports)
	TwinControlPort   = 4580 // kube-twin's control API (faults, health)
)
