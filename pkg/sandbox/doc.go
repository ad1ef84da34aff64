// Package sandbox runs the project's local stand-ins for AWS, a container registry and a Kubernetes
// cluster on 127.0.0.1, so the pipeline can be exercised end to end on one machine with no cloud.
//
// Components (in start order): moto (AWS APIs), docker-registry (OCI registry), etcd, kube-apiserver,
// kube-controller-manager, kube-scheduler and kwok (fake nodes and pod lifecycles). Terraform is located
// (or built) but not run as a service. Tools that are not on the machine are built from the Go module
// proxy into <cache>/tools/<name>-<version>/ the first time and reused afterwards.
//
// Every component the sandbox starts has a PID file under <state>/run/; Down stops exactly those
// processes. Up and Down hold an exclusive file lock so concurrent callers (parallel test packages)
// never start anything twice.
package sandbox
