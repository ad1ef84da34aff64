// Package sandbox runs the project's local stand-ins for AWS, a container registry and a Kubernetes
// cluster on 127.0.0.1, so the pipeline can be exercised end to end on one machine with no cloud.
// It owns the layout (state and cache directories), the env file clients read, the lock that
// serialises Up and Down, the prerequisites, and the order things start in; the parts are its
// subpackages:
//
//   - proc: the one process supervisor (every background process below is a proc.Process);
//   - moto: moto, the AWS API stand-in; awsfront (run as cmd/aws-front): the AWS endpoint in front of it;
//   - kube: etcd, the Kubernetes control plane, kwok and its stages, PKI, kubeconfigs, nodes;
//   - awsseed: what the real stacks would create, seeded into moto;
//   - toolchain: Go tool builds, terraform found or built, and served as an image;
//   - daggerengine: the offline Dagger engine (with --with-dagger);
//   - sandboxtest: the running sandbox for integration tests.
//
// Components (in start order): moto (AWS APIs), aws-front (the AWS endpoint clients use),
// docker-registry (OCI registry), etcd, kube-apiserver, kube-controller-manager, kube-scheduler and
// kwok (fake nodes and pod lifecycles). Terraform is located (or built) but not run as a service. Tools
// that are not on the machine are built from the Go module proxy into <cache>/tools/<name>-<version>/
// the first time and reused afterwards.
//
// Every component the sandbox starts has a PID file under <state>/run/; Down stops exactly those
// processes. Up and Down hold an exclusive file lock so concurrent callers (parallel test packages)
// never start anything twice.
package sandbox
