package helmdeploy

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"helm.sh/helm/v3/pkg/kube"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/cli-runtime/pkg/resource"
	"k8s.io/client-go/kubernetes"

	"github.com/platformteam/delivery/pkg/diagnosis"
	"github.com/platformteam/delivery/pkg/waitprogress"
)

// FailFast decides when a rollout can never succeed, so the wait stops at once instead of running out
// its timeout (Helm's atomic rollback then starts immediately). Only states that cannot recover stop
// the wait: a transient state (one ErrImagePull from a registry hiccup, a Secret the external-secrets
// operator has not synced yet) gets Grace to heal first.
type FailFast struct {
	// MaxRestarts is how many restarts a container in CrashLoopBackOff gets before the rollout is
	// abandoned (default 2).
	MaxRestarts int32
	// Grace is how long a container may stay, without interruption, in a state that can heal
	// (ErrImagePull, ImagePullBackOff, CreateContainerConfigError) before the rollout is abandoned
	// (default 20s: longer than the kubelet's first 10 s pull back-off, so one failed pull followed by
	// a good one never rolls back, and short enough that a pod that can never start is rolled back
	// within 30 s).
	Grace time.Duration
	// Interval is how often the new pods and the resources are checked (default 1s).
	Interval time.Duration
}

func (f FailFast) withDefaults() FailFast {
	if f.MaxRestarts <= 0 {
		f.MaxRestarts = 2
	}
	if f.Grace <= 0 {
		f.Grace = DefaultGrace
	}
	if f.Interval <= 0 {
		f.Interval = time.Second
	}
	return f
}

// DefaultGrace is FailFast.Grace when unset.
const DefaultGrace = 20 * time.Second

// fatalWaitingReasons never heal by waiting: the pod spec itself is wrong.
var fatalWaitingReasons = map[string]bool{"InvalidImageName": true, "ErrImageNeverPull": true}

// healingWaitingReasons may heal (a registry 5xx, a Secret being synced); each maps to its class, so a
// container cycling ErrImagePull → ImagePullBackOff → ErrImagePull counts as one continuous failure.
var healingWaitingReasons = map[string]string{
	"ErrImagePull": "pull", "ImagePullBackOff": "pull", "CreateContainerConfigError": "config",
}

// PodFailure says which pod made the rollout hopeless.
type PodFailure struct {
	Pod, Container, Reason, Message string
	Restarts                        int32
	// For is how long the container had been failing when it was judged (0: at once).
	For time.Duration
}

func (p *PodFailure) Error() string {
	msg := fmt.Sprintf("pod %s container %s is %s", p.Pod, p.Container, p.Reason)
	if p.Restarts > 0 {
		msg += fmt.Sprintf(" after %d restart(s)", p.Restarts)
	}
	if p.For > 0 {
		msg += fmt.Sprintf(" for %s", p.For.Round(time.Second))
	}
	if p.Message != "" {
		msg += ": " + p.Message
	}
	return msg + " (fail-fast: not waiting for the timeout)"
}

// daemonSetGenerationLabel is set by the DaemonSet controller on each pod to its template generation.
const daemonSetGenerationLabel = "pod-template-generation"

// failFastClient is Helm's kube client with a Wait that also watches the workloads' new pods.
type failFastClient struct {
	*kube.Client
	clientset kubernetes.Interface
	policy    FailFast
	out       io.Writer
	// now is the clock of the grace periods (time.Now when nil).
	now func() time.Time
	// diagnosis is what the last failed wait found about the rollout's pods (nil: no failed wait).
	diagnosis *diagnosis.Diagnosis
	// failingSince is when each pod container (namespace/pod/container/class) was first seen in a
	// healing state; an entry is dropped as soon as the container leaves that state.
	failingSince map[string]time.Time
}

func (c *failFastClient) clock() time.Time {
	if c.now == nil {
		return time.Now()
	}
	return c.now()
}

func (c *failFastClient) Wait(resources kube.ResourceList, timeout time.Duration) error {
	return c.wait(resources, timeout, false)
}

func (c *failFastClient) WaitWithJobs(resources kube.ResourceList, timeout time.Duration) error {
	return c.wait(resources, timeout, true)
}

// wait returns nil when every resource is ready, a *PodFailure as soon as a new pod can never start,
// or a timeout error. One progress line is printed per change of the not-ready set.
func (c *failFastClient) wait(resources kube.ResourceList, timeout time.Duration, jobs bool) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	checker := kube.NewReadyChecker(c.clientset, func(string, ...any) {}, kube.PausedAsReady(true), kube.CheckJobs(jobs))
	c.failingSince = map[string]time.Time{}
	start := time.Now()
	progress := waitprogress.New(c.out, start, start.Add(timeout))
	for {
		if failure := c.hopelessPod(ctx, resources); failure != nil {
			progress.Printf(time.Now(), "%v", failure)
			c.diagnosis = c.diagnose(resources)
			return failure
		}
		var waiting []string
		for _, info := range resources {
			ready, err := checker.IsReady(ctx, info)
			if err != nil && ctx.Err() == nil {
				waiting = append(waiting, fmt.Sprintf("%s/%s (%v)", kindOf(info), info.Name, err))
				continue
			}
			if !ready {
				waiting = append(waiting, kindOf(info)+"/"+info.Name)
			}
		}
		state := "all resources ready"
		if len(waiting) > 0 {
			sort.Strings(waiting)
			state = "waiting for " + strings.Join(waiting, ", ")
		}
		progress.Observe(time.Now(), state)
		if len(waiting) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			c.diagnosis = c.diagnose(resources)
			return fmt.Errorf("timed out after %s: %s", timeout, state)
		case <-time.After(c.policy.Interval):
		}
	}
}

func kindOf(info *resource.Info) string {
	if info.Mapping != nil {
		return info.Mapping.GroupVersionKind.Kind
	}
	return info.Object.GetObjectKind().GroupVersionKind().Kind
}

// hopelessPod looks at the pods this rollout creates (currentPods) and returns the first that can
// never become ready.
func (c *failFastClient) hopelessPod(ctx context.Context, resources kube.ResourceList) *PodFailure {
	if c.failingSince == nil {
		c.failingSince = map[string]time.Time{}
	}
	seen := map[string]bool{}
	defer func() {
		for key := range c.failingSince {
			if !seen[key] {
				delete(c.failingSince, key) // healed, replaced or gone: a later failure starts afresh
			}
		}
	}()
	for _, pod := range c.currentPods(ctx, resources) {
		if f := c.podFailure(pod, seen); f != nil {
			return f
		}
	}
	return nil
}

// currentPods returns the pods this rollout creates — those of each Deployment's newest ReplicaSet,
// each StatefulSet's update revision, each DaemonSet's current template generation, and bare Pods.
// Pods being replaced are left out, and a workload's pods are not returned until its controller has
// observed the new spec.
func (c *failFastClient) currentPods(ctx context.Context, resources kube.ResourceList) []*corev1.Pod {
	var out []*corev1.Pod
	for _, info := range resources {
		var selector *metav1.LabelSelector
		var current func(*corev1.Pod) bool
		switch obj := kube.AsVersioned(info).(type) {
		case *corev1.Pod:
			if pod, err := c.clientset.CoreV1().Pods(info.Namespace).Get(ctx, info.Name, metav1.GetOptions{}); err == nil {
				out = append(out, pod)
			}
			continue
		case *appsv1.Deployment:
			live, err := c.clientset.AppsV1().Deployments(info.Namespace).Get(ctx, info.Name, metav1.GetOptions{})
			if err != nil || live.Status.ObservedGeneration < live.Generation {
				continue
			}
			rs := c.newestReplicaSet(ctx, live)
			if rs == "" {
				continue
			}
			selector, current = obj.Spec.Selector, func(p *corev1.Pod) bool { return ownedBy(p.OwnerReferences, rs) }
		case *appsv1.StatefulSet:
			live, err := c.clientset.AppsV1().StatefulSets(info.Namespace).Get(ctx, info.Name, metav1.GetOptions{})
			if err != nil || live.Status.ObservedGeneration < live.Generation || live.Status.UpdateRevision == "" {
				continue
			}
			revision := live.Status.UpdateRevision
			selector, current = obj.Spec.Selector, func(p *corev1.Pod) bool {
				return ownedBy(p.OwnerReferences, live.UID) && p.Labels[appsv1.ControllerRevisionHashLabelKey] == revision
			}
		case *appsv1.DaemonSet:
			live, err := c.clientset.AppsV1().DaemonSets(info.Namespace).Get(ctx, info.Name, metav1.GetOptions{})
			if err != nil || live.Status.ObservedGeneration < live.Generation {
				continue
			}
			generation := fmt.Sprint(live.Generation)
			selector, current = obj.Spec.Selector, func(p *corev1.Pod) bool {
				return ownedBy(p.OwnerReferences, live.UID) && p.Labels[daemonSetGenerationLabel] == generation
			}
		default:
			continue
		}
		sel, err := metav1.LabelSelectorAsSelector(selector)
		if err != nil {
			continue
		}
		pods, err := c.clientset.CoreV1().Pods(info.Namespace).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
		if err != nil {
			continue
		}
		for i := range pods.Items {
			pod := &pods.Items[i]
			if pod.DeletionTimestamp != nil || !current(pod) {
				continue
			}
			out = append(out, pod)
		}
	}
	return out
}

// podFailure judges one pod: a container in a state that cannot recover fails it at once, one in a
// state that may heal only once it has stayed there for the grace period. seen collects the keys of
// the containers found in a healing state (nil: no bookkeeping).
func (c *failFastClient) podFailure(pod *corev1.Pod, seen map[string]bool) *PodFailure {
	if c.failingSince == nil {
		c.failingSince = map[string]time.Time{}
	}
	now := c.clock()
	statuses := append(append([]corev1.ContainerStatus{}, pod.Status.InitContainerStatuses...), pod.Status.ContainerStatuses...)
	for _, s := range statuses {
		if s.State.Waiting == nil {
			continue
		}
		reason := s.State.Waiting.Reason
		failure := &PodFailure{Pod: pod.Name, Container: s.Name, Reason: reason, Message: s.State.Waiting.Message, Restarts: s.RestartCount}
		if fatalWaitingReasons[reason] || (reason == "CrashLoopBackOff" && s.RestartCount > c.policy.MaxRestarts) {
			return failure
		}
		class, heals := healingWaitingReasons[reason]
		if !heals {
			continue
		}
		key := pod.Namespace + "/" + pod.Name + "/" + string(pod.UID) + "/" + s.Name + "/" + class
		if seen != nil {
			seen[key] = true
		}
		since, ok := c.failingSince[key]
		if !ok {
			c.failingSince[key] = now
			continue
		}
		if failing := now.Sub(since); failing >= c.policy.Grace {
			failure.For = failing
			return failure
		}
	}
	return nil
}

// newestReplicaSet returns the UID of the ReplicaSet holding the deployment's current revision.
func (c *failFastClient) newestReplicaSet(ctx context.Context, dep *appsv1.Deployment) types.UID {
	revision := dep.Annotations["deployment.kubernetes.io/revision"]
	if revision == "" {
		return ""
	}
	selector, err := metav1.LabelSelectorAsSelector(dep.Spec.Selector)
	if err != nil {
		selector = labels.Everything()
	}
	list, err := c.clientset.AppsV1().ReplicaSets(dep.Namespace).List(ctx, metav1.ListOptions{LabelSelector: selector.String()})
	if err != nil {
		return ""
	}
	for _, rs := range list.Items {
		if ownedBy(rs.OwnerReferences, dep.UID) && rs.Annotations["deployment.kubernetes.io/revision"] == revision {
			return rs.UID
		}
	}
	return ""
}

func ownedBy(refs []metav1.OwnerReference, uid types.UID) bool {
	for _, r := range refs {
		if r.UID == uid {
			return true
		}
	}
	return false
}
