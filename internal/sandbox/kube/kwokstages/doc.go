// Package kwokstages holds the kwok Stage definitions of the sandbox cluster: how fake nodes come up
// and how pods move through their lifecycle, including the two failure markers of the sandbox
// contract (see docs/sandbox.md):
//
//   - a container image reference containing "pull-fail": the pod stays Pending, its container waits
//     with ErrImagePull, then ImagePullBackOff, and a Warning event "Failed" is recorded;
//   - a container whose readiness probe is exec ["false"]: the pod runs but never becomes Ready.
//
// Every other pod becomes Running and Ready right after it is scheduled.
package kwokstages

import _ "embed"

// YAML is the multi-document kwok configuration (Stage objects) passed to kwok with --config.
//
//go:embed stages.yaml
var YAML []byte

// PullFailMarker in an image reference makes the pod fail to pull.
const PullFailMarker = "pull-fail"
