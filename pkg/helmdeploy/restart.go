package helmdeploy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"helm.sh/helm/v3/pkg/kube"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/cli-runtime/pkg/resource"

	"github.com/platformteam/delivery/pkg/release/api"
	"github.com/platformteam/delivery/pkg/waitprogress"
)

// RestartedAtAnnotation is the pod template annotation a restart sets, as `kubectl rollout restart`
// does: the only change, so the controllers replace every pod with an identical one.
const RestartedAtAnnotation = "kubectl.kubernetes.io/restartedAt"

// fieldManager names this engine in the managed fields of what it patches.
const fieldManager = "delivery-release"

// RestartRequest names the release whose workloads are restarted.
type RestartRequest struct {
	Release   string
	Namespace string
	Timeout   time.Duration
}

// Restart replaces every pod of the deployed release without changing what runs: each Deployment,
// StatefulSet and DaemonSet of the release's manifest gets a new restartedAt annotation on its pod
// template, and the wait lasts until each rollout is complete (all replicas updated and available,
// none of the old left), failing fast on a new pod that can never start (a rotated Secret that does
// not exist: CreateContainerConfigError past the grace). The Helm revision does not change. On failure
// the old pods still serving stay (a rolling update); the diagnosis says why the new ones did not start.
func (d *Deployer) Restart(ctx context.Context, req RestartRequest) (api.EKSRestart, error) {
	start := time.Now()
	if req.Release == "" || req.Namespace == "" || req.Timeout <= 0 {
		return api.EKSRestart{}, errors.New("eks restart: release, namespace and a positive timeout are required")
	}
	cfg, err := d.configuration(req.Namespace)
	if err != nil {
		return api.EKSRestart{}, err
	}
	rel, err := cfg.Releases.Deployed(req.Release)
	if err != nil || rel == nil {
		return api.EKSRestart{}, fmt.Errorf("release %s has no deployed revision in namespace %s: nothing to restart (deploy it first; see `release eks history`)", req.Release, req.Namespace)
	}
	ff := cfg.KubeClient.(*failFastClient)
	resources, err := ff.Build(bytes.NewBufferString(rel.Manifest), false)
	if err != nil {
		return api.EKSRestart{}, fmt.Errorf("read the manifest of %s revision %d: %w", req.Release, rel.Version, err)
	}
	var workloads kube.ResourceList
	res := api.EKSRestart{Release: req.Release, Namespace: req.Namespace, Revision: rel.Version, Workloads: []string{}}
	for _, info := range resources {
		switch kindOf(info) {
		case "Deployment", "StatefulSet", "DaemonSet":
			if info.Namespace == "" {
				info.Namespace = req.Namespace
			}
			workloads = append(workloads, info)
			res.Workloads = append(res.Workloads, kindOf(info)+"/"+info.Name)
		}
	}
	if len(workloads) == 0 {
		return res, fmt.Errorf("release %s revision %d has no Deployment, StatefulSet or DaemonSet: nothing to restart", req.Release, rel.Version)
	}
	res.Before = ff.runningPods(ctx, workloads)
	now := time.Now
	if d.Now != nil {
		now = d.Now
	}
	res.RestartedAt = now().UTC().Format(time.RFC3339)
	patch := []byte(fmt.Sprintf(`{"spec":{"template":{"metadata":{"annotations":{%q:%q}}}}}`, RestartedAtAnnotation, res.RestartedAt))
	generations := map[string]int64{}
	for _, info := range workloads {
		gen, err := ff.patchWorkload(ctx, info, patch)
		if err != nil {
			return res, fmt.Errorf("restart %s/%s: %w", kindOf(info), info.Name, err)
		}
		generations[kindOf(info)+"/"+info.Name] = gen
	}
	fmt.Fprintf(d.out(), "restarting %s of release %s (revision %d, same pod spec), waiting up to %s\n",
		strings.Join(res.Workloads, ", "), req.Release, rel.Version, req.Timeout)
	err = ff.waitRestarted(ctx, workloads, generations, req.Timeout)
	res.Seconds = time.Since(start).Seconds()
	if err != nil {
		res.Diagnosis = ff.diagnose(workloads)
		for _, line := range res.Diagnosis.Lines() {
			fmt.Fprintf(ff.out, "  why: %s\n", line)
		}
		return res, fmt.Errorf("restart of release %s: %w (pods not yet replaced keep serving; fix the cause and restart again)", req.Release, err)
	}
	res.After = ff.runningPods(ctx, workloads)
	fmt.Fprintf(ff.out, "release %s: %d pod(s) replaced by %d in %.1fs\n", req.Release, len(res.Before), len(res.After), res.Seconds)
	return res, nil
}

// patchWorkload applies a strategic merge patch to one workload and returns its new generation.
func (c *failFastClient) patchWorkload(ctx context.Context, info *resource.Info, patch []byte) (int64, error) {
	opts := metav1.PatchOptions{FieldManager: fieldManager}
	apps := c.clientset.AppsV1()
	switch kindOf(info) {
	case "Deployment":
		o, err := apps.Deployments(info.Namespace).Patch(ctx, info.Name, types.StrategicMergePatchType, patch, opts)
		if err != nil {
			return 0, err
		}
		return o.Generation, nil
	case "StatefulSet":
		o, err := apps.StatefulSets(info.Namespace).Patch(ctx, info.Name, types.StrategicMergePatchType, patch, opts)
		if err != nil {
			return 0, err
		}
		return o.Generation, nil
	case "DaemonSet":
		o, err := apps.DaemonSets(info.Namespace).Patch(ctx, info.Name, types.StrategicMergePatchType, patch, opts)
		if err != nil {
			return 0, err
		}
		return o.Generation, nil
	}
	return 0, fmt.Errorf("cannot restart a %s", kindOf(info))
}

// waitRestarted waits until every workload's rollout of generation is complete, printing one line
// per change of the waiting set, failing fast on a new pod that can never start.
func (c *failFastClient) waitRestarted(ctx context.Context, workloads kube.ResourceList, generations map[string]int64, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	c.failingSince = map[string]time.Time{}
	start := time.Now()
	progress := waitprogress.New(c.out, start, start.Add(timeout))
	for {
		if failure := c.hopelessPod(ctx, workloads); failure != nil {
			progress.Printf(time.Now(), "%v", failure)
			return failure
		}
		var waiting []string
		for _, info := range workloads {
			key := kindOf(info) + "/" + info.Name
			if state := c.rolloutState(ctx, info, generations[key]); state != "" {
				waiting = append(waiting, key+" ("+state+")")
			}
		}
		state := "every pod replaced and available"
		if len(waiting) > 0 {
			state = "waiting for " + strings.Join(waiting, ", ")
		}
		progress.Observe(time.Now(), state)
		if len(waiting) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return fmt.Errorf("not complete within %s: %s", timeout, state)
			}
			return fmt.Errorf("cancelled while %s: %w", state, ctx.Err())
		case <-time.After(c.policy.Interval):
		}
	}
}

// rolloutState is "" when the workload's rollout of generation is complete (as `kubectl rollout
// status` judges it: the controller saw it, every replica updated and available, no old one left),
// else what it waits for.
func (c *failFastClient) rolloutState(ctx context.Context, info *resource.Info, generation int64) string {
	apps := c.clientset.AppsV1()
	switch kindOf(info) {
	case "Deployment":
		o, err := apps.Deployments(info.Namespace).Get(ctx, info.Name, metav1.GetOptions{})
		if err != nil {
			return err.Error()
		}
		want := int32(1)
		if o.Spec.Replicas != nil {
			want = *o.Spec.Replicas
		}
		st := o.Status
		switch {
		case st.ObservedGeneration < generation:
			return "the controller has not seen the restart yet"
		case st.UpdatedReplicas < want:
			return fmt.Sprintf("%d/%d pods replaced", st.UpdatedReplicas, want)
		case st.Replicas > st.UpdatedReplicas:
			return fmt.Sprintf("%d old pod(s) still running", st.Replicas-st.UpdatedReplicas)
		case st.AvailableReplicas < st.UpdatedReplicas:
			return fmt.Sprintf("%d/%d new pods available", st.AvailableReplicas, st.UpdatedReplicas)
		}
	case "StatefulSet":
		o, err := apps.StatefulSets(info.Namespace).Get(ctx, info.Name, metav1.GetOptions{})
		if err != nil {
			return err.Error()
		}
		want := int32(1)
		if o.Spec.Replicas != nil {
			want = *o.Spec.Replicas
		}
		st := o.Status
		switch {
		case st.ObservedGeneration < generation:
			return "the controller has not seen the restart yet"
		case st.UpdatedReplicas < want:
			return fmt.Sprintf("%d/%d pods replaced", st.UpdatedReplicas, want)
		case st.UpdateRevision != st.CurrentRevision:
			return "old pods still running"
		case st.ReadyReplicas < want:
			return fmt.Sprintf("%d/%d pods ready", st.ReadyReplicas, want)
		}
	case "DaemonSet":
		o, err := apps.DaemonSets(info.Namespace).Get(ctx, info.Name, metav1.GetOptions{})
		if err != nil {
			return err.Error()
		}
		st := o.Status
		switch {
		case st.ObservedGeneration < generation:
			return "the controller has not seen the restart yet"
		case st.UpdatedNumberScheduled < st.DesiredNumberScheduled:
			return fmt.Sprintf("%d/%d pods replaced", st.UpdatedNumberScheduled, st.DesiredNumberScheduled)
		case st.NumberAvailable < st.DesiredNumberScheduled:
			return fmt.Sprintf("%d/%d pods available", st.NumberAvailable, st.DesiredNumberScheduled)
		}
	}
	return ""
}

// runningPods lists the workloads' pods that are not being deleted, sorted by name, with the digest
// of their first container (from the imageID the kubelet reports).
func (c *failFastClient) runningPods(ctx context.Context, workloads kube.ResourceList) []api.RunningTask {
	out := []api.RunningTask{}
	for _, info := range workloads {
		var selector *metav1.LabelSelector
		switch obj := kube.AsVersioned(info).(type) {
		case *appsv1.Deployment:
			selector = obj.Spec.Selector
		case *appsv1.StatefulSet:
			selector = obj.Spec.Selector
		case *appsv1.DaemonSet:
			selector = obj.Spec.Selector
		}
		sel, err := metav1.LabelSelectorAsSelector(selector)
		if err != nil {
			continue
		}
		pods, err := c.clientset.CoreV1().Pods(info.Namespace).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
		if err != nil {
			continue
		}
		for _, p := range pods.Items {
			if p.DeletionTimestamp != nil || p.Status.Phase != corev1.PodRunning {
				continue
			}
			t := api.RunningTask{Name: p.Name}
			if len(p.Status.ContainerStatuses) > 0 {
				if id := p.Status.ContainerStatuses[0].ImageID; strings.Contains(id, "@") {
					t.Digest = id[strings.LastIndex(id, "@")+1:]
				}
			}
			out = append(out, t)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
