// Package kwokstages holds the kwok Stage definitions of the sandbox clusters, how fake nodes come up
// and how pods move through their lifecycle, and the pod behaviour contract of the sandbox (see
// docs/sandbox.md).
//
// kwok plays the kubelet's status reports; the kube agent (internal/sandbox/kubeagent) does the
// kubelet's work kwok cannot and writes its outcome on the pod as two annotations the stages read:
// AnnotationImageIDs (the pulls are done: each container's imageID) and AnnotationContainerError (a
// container cannot start: ErrImagePull, InvalidImageName or CreateContainerConfigError). So:
//
//   - a scheduled pod stays Pending until the agent has pulled its images;
//   - an image the registry does not serve (on the twin clusters; the local cluster lets made-up test
//     images start without an imageID), an image reference containing PullFailMarker, or a registry
//     error: ErrImagePull, then ImagePullBackOff, retried with backoff; one containing
//     PullFlakyMarker fails its first pull only;
//   - an unparsable reference: InvalidImageName;
//   - a missing Secret, ConfigMap or key in the environment: CreateContainerConfigError until it exists;
//   - an image reference containing CrashLoopMarker: the container starts, exits with code 1, waits in
//     CrashLoopBackOff and restarts, its restartCount growing every cycle (about 2.3 s);
//   - a container whose readiness probe is exec ["false"]: the pod runs but never becomes Ready;
//   - every other pod becomes Running and Ready, each container reporting its imageID;
//   - pods owned by a Job succeed half a second after they run; deleted pods go at once.
package kwokstages

import _ "embed"

// YAML is the multi-document kwok configuration (Stage objects) passed to kwok with --config.
//
//go:embed stages.yaml
var YAML []byte

// Image reference markers of the pod behaviour contract.
const (
	PullFailMarker  = "pull-fail"
	PullFlakyMarker = "pull-flaky"
	CrashLoopMarker = "crash-loop"
)

// Pod annotations the kube agent writes and the stages read.
const (
	// AnnotationImageIDs holds a JSON object: container name → imageID (`<repository>@sha256:...`,
	// "" for an image the local cluster could not resolve). Present once the pulls are done.
	AnnotationImageIDs = "sandbox.delivery/image-ids"
	// AnnotationContainerError holds a JSON object {container, reason, message} while a container
	// cannot start.
	AnnotationContainerError = "sandbox.delivery/container-error"
)
