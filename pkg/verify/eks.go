package verify

import (
	"context"
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// ReleaseSelector is the label selector of a Helm release's pods (the standard instance label).
func ReleaseSelector(release string) string { return "app.kubernetes.io/instance=" + release }

// Pods checks every live pod matching selector in namespace: each container whose image is from
// repository must run digest, by status imageID when the kubelet reported one, else by spec image.
func Pods(ctx context.Context, cs kubernetes.Interface, namespace, selector, repository, digest string) (Report, error) {
	r := Report{Digest: digest, Checks: []Check{}, Problems: []string{}}
	pods, err := cs.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return r, fmt.Errorf("list pods %s in namespace %s: %w", selector, namespace, err)
	}
	live := 0
	for _, pod := range pods.Items {
		if pod.DeletionTimestamp != nil {
			continue
		}
		live++
		status := map[string]string{}
		for _, s := range pod.Status.ContainerStatuses {
			status[s.Name] = s.ImageID
		}
		matched := false
		for _, c := range pod.Spec.Containers {
			if !strings.HasPrefix(c.Image, repository+"@") && !strings.HasPrefix(c.Image, repository+":") && c.Image != repository {
				continue
			}
			matched = true
			chk := Check{Platform: "eks", Target: namespace + "/" + pod.Name, Container: c.Name, Image: c.Image}
			if id := digestOf(status[c.Name]); id != "" {
				chk.Digest, chk.Source = id, SourcePodImageID
			} else {
				chk.Digest, chk.Source, chk.Fallback = digestOf(c.Image), SourcePodSpec, true
			}
			chk.OK = chk.Digest == digest
			r.add(chk)
		}
		if !matched {
			r.problem("eks pod %s/%s runs no container from %s", namespace, pod.Name, repository)
		}
	}
	if live == 0 {
		r.problem("eks: no pods match %s in namespace %s", selector, namespace)
	}
	return r, nil
}
