package kubeagent

import (
	"encoding/json"
	"fmt"

	"github.com/platformteam/delivery/internal/sandbox/kube/kwokstages"
)

// Annotations the agent writes on pods: the contract with the kwok stages (package kwokstages owns it).
const (
	AnnotationImageIDs       = kwokstages.AnnotationImageIDs
	AnnotationContainerError = kwokstages.AnnotationContainerError
)

// Waiting reasons the kubelet reports and the agent produces.
const (
	ReasonErrImagePull               = "ErrImagePull"
	ReasonInvalidImageName           = "InvalidImageName"
	ReasonCreateContainerConfigError = "CreateContainerConfigError"
)

// ContainerError is why one container of a pod cannot start.
type ContainerError struct {
	Container string `json:"container"`
	Reason    string `json:"reason"`
	Message   string `json:"message"`
}

func (e ContainerError) Error() string {
	return fmt.Sprintf("%s: %s: %s", e.Container, e.Reason, e.Message)
}

// Outcome is what the agent decided for a pod.
type Outcome struct {
	ImageIDs map[string]string
	Error    *ContainerError
}

// Annotations renders the outcome as the annotation patch values (nil value = remove).
func (o Outcome) Annotations() (map[string]*string, error) {
	ids, err := json.Marshal(o.ImageIDs)
	if err != nil {
		return nil, err
	}
	out := map[string]*string{AnnotationImageIDs: ptr(string(ids)), AnnotationContainerError: nil}
	if o.Error != nil {
		data, err := json.Marshal(o.Error)
		if err != nil {
			return nil, err
		}
		out[AnnotationContainerError] = ptr(string(data))
	}
	return out, nil
}

func ptr(s string) *string { return &s }

// Done reports whether a pod's annotations say every image is pulled and nothing blocks a start.
func Done(annotations map[string]string) bool {
	_, pulled := annotations[AnnotationImageIDs]
	_, failing := annotations[AnnotationContainerError]
	return pulled && !failing
}
