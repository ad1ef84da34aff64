package kubeagent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
)

// ClusterAgent runs the agent for one cluster.
type ClusterAgent struct {
	Name     string // cluster name, for logs
	Client   kubernetes.Interface
	Resolver Resolver
	// Strict fails pulls of images the registry cannot serve (the twin clusters, as EKS); otherwise
	// such a container starts without an imageID (the local cluster, for tests' made-up images).
	Strict bool
	// RetryBase and RetryMax bound the backoff of failed pulls and missing references (the kubelet
	// uses 10s to 5m; the sandbox retries sooner so tests stay short). Zero: 1s and 10s.
	RetryBase, RetryMax time.Duration
	Log                 io.Writer // nil: discard
	// Watching, if set, is called once the agent's caches are synced and it acts on the cluster.
	Watching func()
}

func (a *ClusterAgent) logf(format string, args ...any) {
	if a.Log != nil {
		fmt.Fprintf(a.Log, "%s: "+format+"\n", append([]any{a.Name}, args...)...)
	}
}

// listerSource reads Secrets and ConfigMaps from informer caches.
type listerSource struct {
	factory informers.SharedInformerFactory
}

func (s listerSource) Secret(ns, name string) (*corev1.Secret, error) {
	return s.factory.Core().V1().Secrets().Lister().Secrets(ns).Get(name)
}

func (s listerSource) ConfigMap(ns, name string) (*corev1.ConfigMap, error) {
	return s.factory.Core().V1().ConfigMaps().Lister().ConfigMaps(ns).Get(name)
}

// Run watches the cluster until ctx ends. It fails only if the cluster cannot be watched at all.
func (a *ClusterAgent) Run(ctx context.Context) error {
	base, max := a.RetryBase, a.RetryMax
	if base == 0 {
		base = time.Second
	}
	if max == 0 {
		max = 10 * time.Second
	}
	factory := informers.NewSharedInformerFactory(a.Client, 0)
	pods := factory.Core().V1().Pods()
	namespaces := factory.Core().V1().Namespaces()
	config := listerSource{factory}
	podQueue := workqueue.NewTypedRateLimitingQueue(workqueue.NewTypedItemExponentialFailureRateLimiter[string](base, max))
	nsQueue := workqueue.NewTypedRateLimitingQueue(workqueue.NewTypedItemExponentialFailureRateLimiter[string](base, max))
	defer podQueue.ShutDown()
	defer nsQueue.ShutDown()

	pull := newPuller(a.Resolver, a.Strict)
	broadcaster := record.NewBroadcaster(record.WithContext(ctx))
	broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: a.Client.CoreV1().Events("")})
	defer broadcaster.Shutdown()
	var recMu sync.Mutex
	recorders := map[string]record.EventRecorder{}
	work := &podWork{puller: pull, config: config, client: a.Client, events: func(node string) record.EventRecorder {
		recMu.Lock()
		defer recMu.Unlock()
		if recorders[node] == nil {
			recorders[node] = broadcaster.NewRecorder(scheme.Scheme, corev1.EventSource{Component: "kubelet", Host: node})
		}
		return recorders[node]
	}}

	enqueueFresh := func(obj any) {
		if pod, ok := obj.(*corev1.Pod); ok && needsWork(pod) && fresh(pod) {
			if key, err := cache.MetaNamespaceKeyFunc(pod); err == nil {
				podQueue.Add(key)
			}
		}
	}
	if _, err := pods.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    enqueueFresh,
		UpdateFunc: func(_, obj any) { enqueueFresh(obj) },
		DeleteFunc: func(obj any) {
			if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = tomb.Obj
			}
			if pod, ok := obj.(*corev1.Pod); ok {
				pull.forget(string(pod.UID))
			}
		},
	}); err != nil {
		return err
	}
	// A Secret or ConfigMap that appears or changes may unblock pods waiting for it, as the kubelet
	// notices on its next retry.
	retryConfigWaiters := func(obj any) {
		ns := ""
		switch o := obj.(type) {
		case *corev1.Secret:
			ns = o.Namespace
		case *corev1.ConfigMap:
			ns = o.Namespace
		}
		list, err := pods.Lister().Pods(ns).List(labels.Everything())
		if err != nil {
			return
		}
		for _, pod := range list {
			if needsWork(pod) && !fresh(pod) {
				if key, err := cache.MetaNamespaceKeyFunc(pod); err == nil {
					podQueue.Add(key)
				}
			}
		}
	}
	for _, inf := range []cache.SharedIndexInformer{factory.Core().V1().Secrets().Informer(), factory.Core().V1().ConfigMaps().Informer()} {
		if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc: retryConfigWaiters, UpdateFunc: func(_, obj any) { retryConfigWaiters(obj) },
		}); err != nil {
			return err
		}
	}
	if _, err := namespaces.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj any) {
			if ns, ok := obj.(*corev1.Namespace); ok && ns.Status.Phase != corev1.NamespaceTerminating {
				nsQueue.Add(ns.Name)
			}
		},
	}); err != nil {
		return err
	}

	factory.Start(ctx.Done())
	defer factory.Shutdown()
	for typ, ok := range factory.WaitForCacheSync(ctx.Done()) {
		if !ok {
			return fmt.Errorf("cluster %s: the %v cache never synced (is the API server up?)", a.Name, typ)
		}
	}
	for err := ensureClusterBindings(ctx, a.Client); err != nil; err = ensureClusterBindings(ctx, a.Client) {
		a.logf("access policy cluster bindings: %v (retrying)", err)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(base):
		}
	}
	a.logf("watching pods and namespaces")
	if a.Watching != nil {
		a.Watching()
	}

	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for a.nextPod(ctx, podQueue, pods.Lister().Pods, work) {
			}
		})
	}
	wg.Go(func() {
		for a.nextNamespace(ctx, nsQueue) {
		}
	})
	<-ctx.Done()
	podQueue.ShutDown()
	nsQueue.ShutDown()
	wg.Wait()
	return nil
}

func (a *ClusterAgent) nextPod(ctx context.Context, q workqueue.TypedRateLimitingInterface[string], lister func(ns string) corelisters.PodNamespaceLister, work *podWork) bool {
	key, quit := q.Get()
	if quit {
		return false
	}
	defer q.Done(key)
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		q.Forget(key)
		return true
	}
	pod, err := lister(ns).Get(name)
	if err != nil || !needsWork(pod) {
		q.Forget(key)
		return true
	}
	outcome := work.decide(ctx, pod)
	err = work.record(ctx, pod, outcome)
	var cerr *ContainerError
	switch {
	case err == nil:
		q.Forget(key)
	case errors.As(err, &cerr):
		a.logf("pod %s: %v (retrying)", key, cerr)
		q.AddRateLimited(key)
	default:
		a.logf("pod %s: %v (retrying)", key, err)
		q.AddRateLimited(key)
	}
	return true
}

func (a *ClusterAgent) nextNamespace(ctx context.Context, q workqueue.TypedRateLimitingInterface[string]) bool {
	ns, quit := q.Get()
	if quit {
		return false
	}
	defer q.Done(ns)
	if err := ensureNamespaceBindings(ctx, a.Client, ns); err != nil {
		a.logf("namespace %s: %v (retrying)", ns, err)
		q.AddRateLimited(ns)
		return true
	}
	q.Forget(ns)
	return true
}
