package externalsecrets

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
)

// Labels and annotations the operator puts on the Secrets it manages.
const (
	ManagedLabel       = "reconcile.external-secrets.io/managed"
	DataHashAnnotation = "reconcile.external-secrets.io/data-hash"
)

// Controller syncs the ExternalSecrets of one cluster.
type Controller struct {
	Name     string // cluster name, for logs
	Dynamic  dynamic.Interface
	Client   kubernetes.Interface
	Provider Provider
	// RetryBase and RetryMax bound the backoff after a failed sync (zero: 1s and 30s).
	RetryBase, RetryMax time.Duration
	Log                 io.Writer
	Watching            func()
}

func (c *Controller) logf(format string, args ...any) {
	if c.Log != nil {
		fmt.Fprintf(c.Log, "%s: external secrets: "+format+"\n", append([]any{c.Name}, args...)...)
	}
}

// syncError is a reason an ExternalSecret cannot be synced, reported in its status.
type syncError struct{ msg string }

func (e *syncError) Error() string { return e.msg }

func failf(format string, args ...any) error { return &syncError{fmt.Sprintf(format, args...)} }

// plan is what an ExternalSecret asks for.
type plan struct {
	target   string
	owner    bool
	refresh  time.Duration // 0: never
	service  string
	region   string
	entries  []entry
	storeRef string
}

type entry struct{ secretKey, key, property string }

// planOf reads an ExternalSecret's spec, with store looking up ClusterSecretStores by name.
func planOf(es *unstructured.Unstructured, store func(name string) (*unstructured.Unstructured, error)) (plan, error) {
	p := plan{target: es.GetName(), owner: true, refresh: time.Hour}
	spec, _, _ := unstructured.NestedMap(es.Object, "spec")
	if v, ok := spec["refreshInterval"].(string); ok {
		d, err := time.ParseDuration(v)
		if err != nil {
			return p, failf("spec.refreshInterval %q is not a duration", v)
		}
		p.refresh = d
	}
	kind, _, _ := unstructured.NestedString(spec, "secretStoreRef", "kind")
	name, _, _ := unstructured.NestedString(spec, "secretStoreRef", "name")
	if kind != "ClusterSecretStore" {
		return p, failf("spec.secretStoreRef.kind %q: the sandbox serves ClusterSecretStores only (stacks/platform/eks installs aws-secrets-manager and aws-parameter-store)", kind)
	}
	p.storeRef = name
	s, err := store(name)
	if err != nil {
		return p, failf("could not get ClusterSecretStore %q: %v", name, err)
	}
	p.service, _, _ = unstructured.NestedString(s.Object, "spec", "provider", "aws", "service")
	p.region, _, _ = unstructured.NestedString(s.Object, "spec", "provider", "aws", "region")
	if p.service == "" {
		return p, failf("ClusterSecretStore %s has no spec.provider.aws.service", name)
	}
	if t, ok, _ := unstructured.NestedString(spec, "target", "name"); ok && t != "" {
		p.target = t
	}
	switch policy, _, _ := unstructured.NestedString(spec, "target", "creationPolicy"); policy {
	case "", "Owner":
	case "Orphan":
		p.owner = false
	default:
		return p, failf("spec.target.creationPolicy %s: the sandbox models Owner and Orphan only", policy)
	}
	if _, ok := spec["dataFrom"]; ok {
		return p, failf("spec.dataFrom: the sandbox models spec.data only")
	}
	data, _, _ := unstructured.NestedSlice(spec, "data")
	if len(data) == 0 {
		return p, failf("spec.data lists nothing to sync")
	}
	for i, d := range data {
		m, _ := d.(map[string]any)
		e := entry{}
		e.secretKey, _, _ = unstructured.NestedString(m, "secretKey")
		e.key, _, _ = unstructured.NestedString(m, "remoteRef", "key")
		e.property, _, _ = unstructured.NestedString(m, "remoteRef", "property")
		if e.secretKey == "" || e.key == "" {
			return p, failf("spec.data[%d] needs secretKey and remoteRef.key", i)
		}
		p.entries = append(p.entries, e)
	}
	return p, nil
}

// fetch reads every entry; the first failure stops the sync (the operator writes nothing then).
func (p plan) fetch(ctx context.Context, provider Provider) (map[string][]byte, error) {
	out := map[string][]byte{}
	for _, e := range p.entries {
		v, err := provider.Value(ctx, p.service, p.region, e.key)
		if err != nil {
			return nil, failf("error retrieving secret at .data[%s], key: %s: %v", e.secretKey, e.key, err)
		}
		v, err = property(v, e.property)
		if err != nil {
			return nil, failf("error retrieving secret at .data[%s], key: %s: %v", e.secretKey, e.key, err)
		}
		out[e.secretKey] = []byte(v)
	}
	return out, nil
}

func dataHash(data map[string][]byte) string {
	h := sha256.New()
	for _, k := range slices.Sorted(maps.Keys(data)) {
		fmt.Fprintf(h, "%s=%x;", k, data[k])
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// apply creates or updates the target Secret.
func (c *Controller) apply(ctx context.Context, es *unstructured.Unstructured, p plan, data map[string][]byte) error {
	api := c.Client.CoreV1().Secrets(es.GetNamespace())
	hash := dataHash(data)
	got, err := api.Get(ctx, p.target, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		s := &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: p.target, Namespace: es.GetNamespace(),
				Labels: map[string]string{ManagedLabel: "true"}, Annotations: map[string]string{DataHashAnnotation: hash}},
			Type: corev1.SecretTypeOpaque, Data: data,
		}
		if p.owner {
			s.OwnerReferences = []metav1.OwnerReference{ownerOf(es)}
		}
		_, err = api.Create(ctx, s, metav1.CreateOptions{})
		return err
	}
	if err != nil {
		return err
	}
	if p.owner && !ownedBy(got, es) && got.Labels[ManagedLabel] != "true" {
		return failf("target %s already exists and is not managed by this ExternalSecret (creationPolicy Owner)", p.target)
	}
	if got.Annotations[DataHashAnnotation] == hash {
		return nil
	}
	got.Data = data
	if got.Labels == nil {
		got.Labels = map[string]string{}
	}
	if got.Annotations == nil {
		got.Annotations = map[string]string{}
	}
	got.Labels[ManagedLabel], got.Annotations[DataHashAnnotation] = "true", hash
	_, err = api.Update(ctx, got, metav1.UpdateOptions{})
	return err
}

func ownerOf(es *unstructured.Unstructured) metav1.OwnerReference {
	t := true
	return metav1.OwnerReference{APIVersion: Group + "/" + Version, Kind: "ExternalSecret", Name: es.GetName(), UID: es.GetUID(), Controller: &t, BlockOwnerDeletion: &t}
}

func ownedBy(s *corev1.Secret, es *unstructured.Unstructured) bool {
	return slices.ContainsFunc(s.OwnerReferences, func(o metav1.OwnerReference) bool { return o.UID == es.GetUID() })
}

// setStatus writes the Ready condition (and the refresh time after a sync).
func (c *Controller) setStatus(ctx context.Context, es *unstructured.Unstructured, p plan, syncErr error) error {
	now := time.Now().UTC().Format(time.RFC3339)
	cond := map[string]any{"type": "Ready", "status": "True", "reason": "SecretSynced", "message": "secret synced", "lastTransitionTime": now}
	if syncErr != nil {
		cond = map[string]any{"type": "Ready", "status": "False", "reason": "SecretSyncedError", "message": syncErr.Error(), "lastTransitionTime": now}
	}
	obj := es.DeepCopy()
	old, _, _ := unstructured.NestedSlice(obj.Object, "status", "conditions")
	if len(old) == 1 {
		if m, ok := old[0].(map[string]any); ok && m["status"] == cond["status"] && m["reason"] == cond["reason"] && m["message"] == cond["message"] {
			cond["lastTransitionTime"] = m["lastTransitionTime"]
		}
	}
	status := map[string]any{"conditions": []any{cond}, "binding": map[string]any{"name": p.target}}
	if syncErr == nil {
		status["refreshTime"] = now
		status["syncedResourceVersion"] = fmt.Sprintf("%d", obj.GetGeneration())
	} else if prev, ok, _ := unstructured.NestedString(obj.Object, "status", "refreshTime"); ok {
		status["refreshTime"] = prev
	}
	obj.Object["status"] = status
	_, err := c.Dynamic.Resource(ExternalSecretResource).Namespace(obj.GetNamespace()).UpdateStatus(ctx, obj, metav1.UpdateOptions{})
	return err
}

// Run installs the CRDs and syncs ExternalSecrets until ctx ends.
func (c *Controller) Run(ctx context.Context) error {
	if err := EnsureCRDs(ctx, c.Dynamic); err != nil {
		return err
	}
	base, max := c.RetryBase, c.RetryMax
	if base == 0 {
		base = time.Second
	}
	if max == 0 {
		max = 30 * time.Second
	}
	factory := dynamicinformer.NewDynamicSharedInformerFactory(c.Dynamic, 0)
	secrets := factory.ForResource(ExternalSecretResource)
	stores := factory.ForResource(ClusterSecretStoreResource)
	queue := workqueue.NewTypedRateLimitingQueue(workqueue.NewTypedItemExponentialFailureRateLimiter[string](base, max))
	defer queue.ShutDown()
	enqueue := func(obj any) {
		if key, err := cache.MetaNamespaceKeyFunc(obj); err == nil {
			queue.Add(key)
		}
	}
	if _, err := secrets.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: enqueue,
		UpdateFunc: func(old, obj any) {
			// Status writes are the controller's own; a spec or annotation change (force-sync) is not.
			o, n := old.(*unstructured.Unstructured), obj.(*unstructured.Unstructured)
			if o.GetGeneration() != n.GetGeneration() || !maps.Equal(o.GetAnnotations(), n.GetAnnotations()) {
				enqueue(obj)
			}
		},
	}); err != nil {
		return err
	}
	requeueAll := func(any) {
		list, _ := secrets.Lister().List(labels.Everything())
		for _, o := range list {
			enqueue(o)
		}
	}
	if _, err := stores.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{AddFunc: requeueAll, UpdateFunc: func(_, o any) { requeueAll(o) }}); err != nil {
		return err
	}
	broadcaster := record.NewBroadcaster(record.WithContext(ctx))
	broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: c.Client.CoreV1().Events("")})
	defer broadcaster.Shutdown()
	recorder := broadcaster.NewRecorder(scheme.Scheme, corev1.EventSource{Component: "external-secrets"})

	factory.Start(ctx.Done())
	defer factory.Shutdown()
	for typ, ok := range factory.WaitForCacheSync(ctx.Done()) {
		if !ok {
			return fmt.Errorf("cluster %s: the %v cache never synced", c.Name, typ)
		}
	}
	c.logf("watching ExternalSecrets")
	if c.Watching != nil {
		c.Watching()
	}
	storeByName := func(name string) (*unstructured.Unstructured, error) {
		o, err := stores.Lister().Get(name)
		if err != nil {
			return nil, err
		}
		return o.(*unstructured.Unstructured), nil
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			key, quit := queue.Get()
			if quit {
				return
			}
			c.sync(ctx, key, secrets.Lister(), storeByName, queue, recorder)
			queue.Done(key)
		}
	})
	<-ctx.Done()
	queue.ShutDown()
	wg.Wait()
	return nil
}

func (c *Controller) sync(ctx context.Context, key string, lister cache.GenericLister, store func(string) (*unstructured.Unstructured, error),
	queue workqueue.TypedRateLimitingInterface[string], recorder record.EventRecorder) {
	ns, name, _ := cache.SplitMetaNamespaceKey(key)
	obj, err := lister.ByNamespace(ns).Get(name)
	if err != nil {
		queue.Forget(key)
		return
	}
	es := obj.(*unstructured.Unstructured)
	if es.GetDeletionTimestamp() != nil {
		queue.Forget(key)
		return
	}
	p, err := planOf(es, store)
	var data map[string][]byte
	if err == nil {
		data, err = p.fetch(ctx, c.Provider)
	}
	if err == nil {
		err = c.apply(ctx, es, p, data)
	}
	if statusErr := c.setStatus(ctx, es, p, err); statusErr != nil && !apierrors.IsNotFound(statusErr) {
		c.logf("%s: write status: %v", key, statusErr)
	}
	var se *syncError
	switch {
	case err == nil:
		queue.Forget(key)
		if p.refresh > 0 {
			queue.AddAfter(key, p.refresh)
		}
	case errors.As(err, &se):
		recorder.Eventf(es, corev1.EventTypeWarning, "UpdateFailed", "%s", err)
		c.logf("%s: %v (retrying)", key, err)
		queue.AddRateLimited(key)
	default:
		c.logf("%s: %v (retrying)", key, err)
		queue.AddRateLimited(key)
	}
}
