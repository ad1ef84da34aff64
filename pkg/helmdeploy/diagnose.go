package helmdeploy

import (
	"context"
	"sort"
	"strings"
	"time"

	"helm.sh/helm/v3/pkg/kube"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/platformteam/delivery/pkg/diagnosis"
)

// How much of the cluster's record a diagnosis keeps.
const (
	diagnosisPods   = 5
	diagnosisEvents = 8
	// diagnosisBudget bounds the reads of a diagnosis (the wait's own deadline may have passed).
	diagnosisBudget = 15 * time.Second
)

// diagnose describes the pods of this rollout that are not ready — each container's state, with the
// exit code of its last run — and the last events of those pods. It never fails: what could not be
// read is named in Incomplete.
func (c *failFastClient) diagnose(resources kube.ResourceList) *diagnosis.Diagnosis {
	ctx, cancel := context.WithTimeout(context.Background(), diagnosisBudget)
	defer cancel()
	out := &diagnosis.Diagnosis{}
	names := map[string]bool{}
	namespaces := map[string]bool{}
	for _, pod := range c.currentPods(ctx, resources) {
		if podReady(pod) || len(out.Pods) == diagnosisPods {
			continue
		}
		names[pod.Namespace+"/"+pod.Name] = true
		namespaces[pod.Namespace] = true
		out.Pods = append(out.Pods, diagnosis.Pod{Name: pod.Name, Containers: containerStates(pod)})
	}
	var problems []string
	for ns := range namespaces {
		list, err := c.clientset.CoreV1().Events(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			problems = append(problems, "events in "+ns+": "+err.Error())
			continue
		}
		for _, e := range list.Items {
			if e.InvolvedObject.Kind != "Pod" || !names[ns+"/"+e.InvolvedObject.Name] {
				continue
			}
			out.Events = append(out.Events, diagnosis.Event{At: eventTime(e), Object: "pod/" + e.InvolvedObject.Name, Reason: e.Reason, Message: e.Message})
		}
	}
	sort.SliceStable(out.Events, func(i, j int) bool { return out.Events[i].At.Before(out.Events[j].At) })
	if len(out.Events) > diagnosisEvents {
		out.Events = out.Events[len(out.Events)-diagnosisEvents:]
	}
	sort.Strings(problems)
	out.Incomplete = strings.Join(problems, "; ")
	return out
}

func podReady(pod *corev1.Pod) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func containerStates(pod *corev1.Pod) []diagnosis.Container {
	var out []diagnosis.Container
	statuses := append(append([]corev1.ContainerStatus{}, pod.Status.InitContainerStatuses...), pod.Status.ContainerStatuses...)
	for _, s := range statuses {
		c := diagnosis.Container{Name: s.Name, Restarts: s.RestartCount}
		switch {
		case s.State.Waiting != nil:
			c.State, c.Reason, c.Message = "waiting", s.State.Waiting.Reason, s.State.Waiting.Message
		case s.State.Terminated != nil:
			t := s.State.Terminated
			c.State, c.Reason, c.Message, c.ExitCode = "terminated", t.Reason, t.Message, &t.ExitCode
		case s.State.Running != nil:
			c.State = "running"
			if !s.Ready {
				c.Reason = "not ready"
			}
		}
		if t := s.LastTerminationState.Terminated; t != nil && c.ExitCode == nil {
			code := t.ExitCode
			c.ExitCode = &code
			if c.Message == "" && t.Reason != "" {
				c.Message = "last run: " + t.Reason
			}
		}
		out = append(out, c)
	}
	return out
}

func eventTime(e corev1.Event) time.Time {
	switch {
	case !e.LastTimestamp.IsZero():
		return e.LastTimestamp.Time
	case !e.EventTime.IsZero():
		return e.EventTime.Time
	default:
		return e.CreationTimestamp.Time
	}
}
