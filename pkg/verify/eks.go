package verify

import (
	"context"
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/platformteam/delivery/pkg/artifact"
	"github.com/platformteam/delivery/pkg/release/api"
)

// ReleaseSelector is the label selector of a Helm release's pods (the standard instance label).
func ReleaseSelector(release string) string { return "app.kubernetes.io/instance=" + release }

// Pods checks every live pod matching selector in namespace: each container whose image is from
// want's repository must run want's digest, by status imageID when the kubelet reported one, else by
// spec image.
func Pods(ctx context.Context, cs kubernetes.Interface, namespace, selector string, want artifact.Pinned) (api.VerifyReport, error) {
	repository, digest := want.Repository(), want.Digest()
	r := api.VerifyReport{Digest: digest, Checks: []api.Check{}, Problems: []string{}}
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
			chk := api.Check{Platform: api.EKS, Target: namespace + "/" + pod.Name, Container: c.Name, Image: c.Image}
			if id := digestOf(status[c.Name]); id != "" {
				chk.Digest, chk.Source = id, api.SourcePodImageID
			} else {
				chk.Digest, chk.Source, chk.Fallback = digestOf(c.Image), api.SourcePodSpec, true
			}
			chk.OK = chk.Digest == digest
			r.Add(chk)
		}
		if !matched {
			r.Problem("eks pod %s/%s runs no container from %s", namespace, pod.Name, repository)
		}
	}
	if live == 0 {
		r.Problem("eks: no pods match %s in namespace %s", selector, namespace)
	}
	return r, nil
}
