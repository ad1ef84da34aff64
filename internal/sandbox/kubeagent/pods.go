package kubeagent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/record"
)

// podWork decides and records the pull and configuration outcome of pods.
type podWork struct {
	puller *puller
	config ConfigSource
	client kubernetes.Interface
	events func(node string) record.EventRecorder
}

// needsWork reports whether a pod waits for the agent: scheduled, alive, and not yet started.
func needsWork(pod *corev1.Pod) bool {
	return pod.Spec.NodeName != "" && pod.DeletionTimestamp == nil &&
		pod.Status.Phase != corev1.PodSucceeded && pod.Status.Phase != corev1.PodFailed && !Done(pod.Annotations)
}

// fresh reports whether the agent has not looked at a pod yet (later attempts are its own retries).
func fresh(pod *corev1.Pod) bool {
	_, pulled := pod.Annotations[AnnotationImageIDs]
	_, failing := pod.Annotations[AnnotationContainerError]
	return !pulled && !failing
}

func allContainers(pod *corev1.Pod) []corev1.Container {
	return append(append([]corev1.Container{}, pod.Spec.InitContainers...), pod.Spec.Containers...)
}

// decide pulls every container's image, init containers first, then checks every container's
// environment references, as the kubelet does before it starts a container.
func (w *podWork) decide(ctx context.Context, pod *corev1.Pod) Outcome {
	ids := map[string]string{}
	containers := allContainers(pod)
	for _, c := range containers {
		id, err := w.puller.pull(ctx, string(pod.UID), c.Name, c.Image)
		if err != nil {
			reason := ReasonErrImagePull
			var perr *PullError
			if errors.As(err, &perr) {
				reason = perr.Reason
			}
			return Outcome{ImageIDs: ids, Error: &ContainerError{Container: c.Name, Reason: reason, Message: err.Error()}}
		}
		ids[c.Name] = id
	}
	for _, c := range containers {
		if err := checkEnvironment(pod, c, w.config); err != nil {
			return Outcome{ImageIDs: ids, Error: &ContainerError{Container: c.Name, Reason: ReasonCreateContainerConfigError, Message: err.Error()}}
		}
	}
	return Outcome{ImageIDs: ids}
}

// record writes the outcome on the pod and emits the kubelet's events for it. It returns the
// outcome's container error, if any, so the caller retries.
func (w *podWork) record(ctx context.Context, pod *corev1.Pod, o Outcome) error {
	annotations, err := o.Annotations()
	if err != nil {
		return err
	}
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": annotations}})
	if err != nil {
		return err
	}
	if _, err := w.client.CoreV1().Pods(pod.Namespace).Patch(ctx, pod.Name, types.MergePatchType, patch, metav1PatchOptions); err != nil {
		return fmt.Errorf("annotate pod %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	if w.events != nil {
		w.emit(pod, o)
	}
	if o.Error != nil {
		return o.Error
	}
	return nil
}

func (w *podWork) emit(pod *corev1.Pod, o Outcome) {
	rec := w.events(pod.Spec.NodeName)
	previous := pod.Annotations[AnnotationContainerError]
	for _, c := range allContainers(pod) {
		if o.Error != nil && o.Error.Container == c.Name {
			break
		}
		if _, ok := o.ImageIDs[c.Name]; ok && previous == "" {
			rec.Eventf(pod, corev1.EventTypeNormal, "Pulled", "Successfully pulled image %q", c.Image)
		}
	}
	if o.Error == nil {
		return
	}
	switch o.Error.Reason {
	case ReasonErrImagePull:
		rec.Eventf(pod, corev1.EventTypeWarning, "Failed", "Failed to pull image %q: %s", imageOf(pod, o.Error.Container), o.Error.Message)
	case ReasonInvalidImageName:
		rec.Eventf(pod, corev1.EventTypeWarning, "InspectFailed", "%s", o.Error.Message)
	}
	rec.Eventf(pod, corev1.EventTypeWarning, "Failed", "Error: %s", errorSummary(*o.Error))
}

func errorSummary(e ContainerError) string {
	if e.Reason == ReasonCreateContainerConfigError {
		return e.Message
	}
	return e.Reason
}

func imageOf(pod *corev1.Pod, container string) string {
	for _, c := range allContainers(pod) {
		if c.Name == container {
			return c.Image
		}
	}
	return ""
}
