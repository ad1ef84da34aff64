package helmdeploy

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"helm.sh/helm/v3/pkg/kube"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/cli-runtime/pkg/resource"
	"k8s.io/client-go/kubernetes/fake"
)

var appLabels = map[string]string{"app": "demo"}

func owned(uid types.UID) []metav1.OwnerReference {
	return []metav1.OwnerReference{{UID: uid, Name: "owner"}}
}

func waitingPod(name string, owner types.UID, labels map[string]string, reason string) *corev1.Pod {
	l := map[string]string{"app": "demo"}
	for k, v := range labels {
		l[k] = v
	}
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "demo", Labels: l, OwnerReferences: owned(owner)},
		Status: corev1.PodStatus{ContainerStatuses: []corev1.ContainerStatus{{Name: "app",
			State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason}}}}}}
}

func infoFor(obj runtime.Object, name string) *resource.Info {
	return &resource.Info{Name: name, Namespace: "demo", Object: obj}
}

func TestHopelessPodJudgesOnlyTheNewReplicaSet(t *testing.T) {
	sel := &metav1.LabelSelector{MatchLabels: appLabels}
	dep := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "demo", Namespace: "demo", UID: "dep", Generation: 2,
		Annotations: map[string]string{"deployment.kubernetes.io/revision": "2"}},
		Spec: appsv1.DeploymentSpec{Selector: sel}, Status: appsv1.DeploymentStatus{ObservedGeneration: 2}}
	oldRS := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "old", Namespace: "demo", UID: "rs1", Labels: appLabels,
		OwnerReferences: owned("dep"), Annotations: map[string]string{"deployment.kubernetes.io/revision": "1"}}}
	newRS := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "new", Namespace: "demo", UID: "rs2", Labels: appLabels,
		OwnerReferences: owned("dep"), Annotations: map[string]string{"deployment.kubernetes.io/revision": "2"}}}

	// Only the old ReplicaSet's pod is broken (a rollback restoring a good template): not hopeless.
	cs := fake.NewSimpleClientset(dep, oldRS, newRS, waitingPod("old-pod", "rs1", nil, "ImagePullBackOff"))
	c := &failFastClient{clientset: cs, policy: FailFast{}.withDefaults()}
	if f := c.hopelessPod(context.Background(), kube.ResourceList{infoFor(dep, "demo")}); f != nil {
		t.Fatalf("old pod judged: %v", f)
	}
	// The new ReplicaSet's pod cannot pull: not hopeless at first sight, hopeless once the pull has
	// failed for the grace period.
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c.now = func() time.Time { return now }
	cs = fake.NewSimpleClientset(dep, oldRS, newRS, waitingPod("new-pod", "rs2", nil, "ErrImagePull"))
	c.clientset = cs
	if f := c.hopelessPod(context.Background(), kube.ResourceList{infoFor(dep, "demo")}); f != nil {
		t.Fatalf("one ErrImagePull judged hopeless: %v", f)
	}
	now = now.Add(DefaultGrace)
	if f := c.hopelessPod(context.Background(), kube.ResourceList{infoFor(dep, "demo")}); f == nil || f.Pod != "new-pod" {
		t.Fatalf("want new-pod, got %v", f)
	}
	// Not judged before the controller observed the new generation.
	stale := dep.DeepCopy()
	stale.Status.ObservedGeneration = 1
	c.clientset = fake.NewSimpleClientset(stale, oldRS, newRS, waitingPod("new-pod", "rs2", nil, "ErrImagePull"))
	if f := c.hopelessPod(context.Background(), kube.ResourceList{infoFor(stale, "demo")}); f != nil {
		t.Fatalf("judged before the controller caught up: %v", f)
	}
}

func TestHopelessPodStatefulSetDaemonSetAndBarePod(t *testing.T) {
	sel := &metav1.LabelSelector{MatchLabels: appLabels}
	sts := &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: "demo", UID: "sts", Generation: 3},
		Spec: appsv1.StatefulSetSpec{Selector: sel}, Status: appsv1.StatefulSetStatus{ObservedGeneration: 3, UpdateRevision: "db-v3"}}
	ds := &appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Name: "agent", Namespace: "demo", UID: "ds", Generation: 5},
		Spec: appsv1.DaemonSetSpec{Selector: sel}, Status: appsv1.DaemonSetStatus{ObservedGeneration: 5}}
	cases := []struct {
		name string
		obj  runtime.Object
		pod  *corev1.Pod
		want bool
	}{
		{"sts old revision", sts, waitingPod("db-0", "sts", map[string]string{"controller-revision-hash": "db-v2"}, "InvalidImageName"), false},
		{"sts update revision", sts, waitingPod("db-0", "sts", map[string]string{"controller-revision-hash": "db-v3"}, "InvalidImageName"), true},
		{"ds old generation", ds, waitingPod("agent-x", "ds", map[string]string{"pod-template-generation": "4"}, "InvalidImageName"), false},
		{"ds current generation", ds, waitingPod("agent-x", "ds", map[string]string{"pod-template-generation": "5"}, "InvalidImageName"), true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := &failFastClient{clientset: fake.NewSimpleClientset(tc.obj, tc.pod), policy: FailFast{}.withDefaults()}
			name := tc.obj.(metav1.Object).GetName()
			f := c.hopelessPod(context.Background(), kube.ResourceList{infoFor(tc.obj, name)})
			if (f != nil) != tc.want {
				t.Fatalf("hopeless=%v, want %v (%v)", f != nil, tc.want, f)
			}
		})
	}
	bare := waitingPod("job-pod", "", nil, "InvalidImageName")
	c := &failFastClient{clientset: fake.NewSimpleClientset(bare), policy: FailFast{}.withDefaults()}
	if f := c.hopelessPod(context.Background(), kube.ResourceList{infoFor(bare, "job-pod")}); f == nil || !strings.Contains(f.Error(), "InvalidImageName") {
		t.Fatalf("bare pod: %v", f)
	}
}

// setWaiting replaces the pod's only container state: waiting with reason, or running when reason is "".
func setWaiting(t *testing.T, cs *fake.Clientset, pod *corev1.Pod, reason string) {
	t.Helper()
	p := pod.DeepCopy()
	st := corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}
	if reason != "" {
		st = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason}}
	}
	p.Status.ContainerStatuses[0].State = st
	if _, err := cs.CoreV1().Pods(p.Namespace).UpdateStatus(context.Background(), p, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// A registry hiccup: ErrImagePull, the kubelet's back-off, then a good pull. Not hopeless, however long
// the sequence as a whole; a later failure of the same container starts its grace afresh.
func TestTransientPullFailureIsNotHopeless(t *testing.T) {
	pod := waitingPod("web", "", nil, "ErrImagePull")
	pod.UID = "web-1"
	cs := fake.NewSimpleClientset(pod)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := &failFastClient{clientset: cs, policy: FailFast{}.withDefaults(), now: func() time.Time { return now }}
	resources := kube.ResourceList{infoFor(pod, "web")}
	step := func(reason string, after time.Duration) *PodFailure {
		now = now.Add(after)
		setWaiting(t, cs, pod, reason)
		return c.hopelessPod(context.Background(), resources)
	}
	for i, s := range []struct {
		reason string
		after  time.Duration
	}{{"ErrImagePull", 0}, {"ImagePullBackOff", 5 * time.Second}, {"ImagePullBackOff", 10 * time.Second}, {"", 4 * time.Second},
		{"", time.Minute}, {"ErrImagePull", time.Second}, {"ImagePullBackOff", 15 * time.Second}} {
		if f := step(s.reason, s.after); f != nil {
			t.Fatalf("step %d (%q): judged hopeless: %v", i, s.reason, f)
		}
	}
	// The second failure has lasted 15 s; 5 s later it reaches the 20 s grace and is hopeless.
	f := step("ImagePullBackOff", 5*time.Second)
	if f == nil || f.Reason != "ImagePullBackOff" || f.For != 20*time.Second {
		t.Fatalf("a pull failing for 20 s: %+v", f)
	}
}

// A container whose Secret is missing heals when the Secret appears within the grace.
func TestCreateContainerConfigErrorGetsTheGrace(t *testing.T) {
	pod := waitingPod("web", "", nil, "CreateContainerConfigError")
	cs := fake.NewSimpleClientset(pod)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := &failFastClient{clientset: cs, policy: FailFast{Grace: 10 * time.Second}.withDefaults(), now: func() time.Time { return now }}
	resources := kube.ResourceList{infoFor(pod, "web")}
	if f := c.hopelessPod(context.Background(), resources); f != nil {
		t.Fatalf("first sight: %v", f)
	}
	now = now.Add(9 * time.Second)
	if f := c.hopelessPod(context.Background(), resources); f != nil {
		t.Fatalf("within the grace: %v", f)
	}
	now = now.Add(time.Second)
	if f := c.hopelessPod(context.Background(), resources); f == nil || f.Reason != "CreateContainerConfigError" {
		t.Fatalf("past the grace: %v", f)
	}
}

// A wait that fails fast records why: the failing pod's containers (with the exit code of the last
// run) and that pod's events, not other pods' events.
func TestFailedWaitRecordsTheDiagnosis(t *testing.T) {
	sel := &metav1.LabelSelector{MatchLabels: appLabels}
	dep := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "demo", Namespace: "demo", UID: "dep", Generation: 2,
		Annotations: map[string]string{"deployment.kubernetes.io/revision": "2"}},
		Spec: appsv1.DeploymentSpec{Selector: sel}, Status: appsv1.DeploymentStatus{ObservedGeneration: 2}}
	newRS := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "new", Namespace: "demo", UID: "rs2", Labels: appLabels,
		OwnerReferences: owned("dep"), Annotations: map[string]string{"deployment.kubernetes.io/revision": "2"}}}
	pod := waitingPod("new-pod", "rs2", nil, "CrashLoopBackOff")
	pod.Status.ContainerStatuses[0].RestartCount = 3
	pod.Status.ContainerStatuses[0].State.Waiting.Message = "back-off 40s restarting failed container"
	pod.Status.ContainerStatuses[0].LastTerminationState.Terminated = &corev1.ContainerStateTerminated{ExitCode: 2, Reason: "Error"}
	at := metav1.NewTime(time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC))
	ev := func(name, pod, reason, msg string, minute int) *corev1.Event {
		return &corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "demo"}, InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: pod},
			Reason: reason, Message: msg, LastTimestamp: metav1.NewTime(at.Add(time.Duration(minute) * time.Minute))}
	}
	cs := fake.NewSimpleClientset(dep, newRS, pod,
		ev("e2", "new-pod", "BackOff", "Back-off restarting failed container app", 2),
		ev("e1", "new-pod", "Started", "Started container app", 1),
		ev("e3", "other-pod", "Started", "not this rollout", 3))
	var out strings.Builder
	c := &failFastClient{clientset: cs, policy: FailFast{Interval: 10 * time.Millisecond}.withDefaults(), out: &out}
	err := c.wait(kube.ResourceList{infoFor(dep, "demo")}, 5*time.Second, false)
	var failure *PodFailure
	if !errors.As(err, &failure) || failure.Reason != "CrashLoopBackOff" {
		t.Fatalf("want a CrashLoopBackOff failure, got %v", err)
	}
	d := c.diagnosis
	if d == nil || len(d.Pods) != 1 || d.Pods[0].Name != "new-pod" {
		t.Fatalf("diagnosis %+v", d)
	}
	got := d.Pods[0].Containers[0]
	if got.State != "waiting" || got.Reason != "CrashLoopBackOff" || got.ExitCode == nil || *got.ExitCode != 2 || got.Restarts != 3 {
		t.Fatalf("container %+v", got)
	}
	if len(d.Events) != 2 || d.Events[0].Reason != "Started" || d.Events[1].Reason != "BackOff" || d.Events[1].Object != "pod/new-pod" {
		t.Fatalf("events %+v", d.Events)
	}
	if !strings.Contains(strings.Join(d.Lines(), "\n"), "container app waiting CrashLoopBackOff exit code 2 after 3 restart(s)") {
		t.Fatalf("lines %q", d.Lines())
	}
}
