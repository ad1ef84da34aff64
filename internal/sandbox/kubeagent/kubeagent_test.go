package kubeagent

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes/fake"
)

// testRegistry serves an in-memory registry with one image at <host>/demo-app:v1.
func testRegistry(t *testing.T) (host, digest string) {
	t.Helper()
	srv := httptest.NewServer(registry.New())
	t.Cleanup(srv.Close)
	host = strings.TrimPrefix(srv.URL, "http://")
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	ref, _ := name.ParseReference(host + "/demo-app:v1")
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	d, _ := img.Digest()
	return host, d.String()
}

func TestRegistryResolver(t *testing.T) {
	host, digest := testRegistry(t)
	r := RegistryResolver{}
	ctx := context.Background()
	want := host + "/demo-app@" + digest
	for _, ref := range []string{host + "/demo-app:v1", host + "/demo-app@" + digest, host + "/demo-app:v1@" + digest} {
		if got, err := r.Resolve(ctx, ref); err != nil || got != want {
			t.Errorf("Resolve(%s) = %q, %v; want %s", ref, got, err, want)
		}
	}
	_, err := r.Resolve(ctx, host+"/demo-app:v2")
	if perr, ok := err.(*PullError); !ok || perr.Reason != ReasonErrImagePull || !perr.NotFound || !strings.Contains(perr.Message, "failed to resolve reference") {
		t.Errorf("missing tag: %#v", err)
	}
	_, err = r.Resolve(ctx, "UPPER/Case:x")
	if perr, ok := err.(*PullError); !ok || perr.Reason != ReasonInvalidImageName {
		t.Errorf("invalid name: %#v", err)
	}
}

type fakeResolver map[string]string

func (f fakeResolver) Resolve(_ context.Context, ref string) (string, error) {
	if id, ok := f[ref]; ok {
		return id, nil
	}
	return "", &PullError{Reason: ReasonErrImagePull, NotFound: true, Message: "not found: " + ref}
}

type mapSource struct {
	secrets    map[string]*corev1.Secret
	configMaps map[string]*corev1.ConfigMap
}

func (m mapSource) Secret(_, name string) (*corev1.Secret, error) {
	if s, ok := m.secrets[name]; ok {
		return s, nil
	}
	return nil, apierrors.NewNotFound(corev1.Resource("secrets"), name)
}

func (m mapSource) ConfigMap(_, name string) (*corev1.ConfigMap, error) {
	if c, ok := m.configMaps[name]; ok {
		return c, nil
	}
	return nil, apierrors.NewNotFound(corev1.Resource("configmaps"), name)
}

func pod(containers ...corev1.Container) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "demo", UID: "uid-1"},
		Spec: corev1.PodSpec{NodeName: "sandbox-node-a", Containers: containers}}
}

func TestDecide(t *testing.T) {
	resolver := fakeResolver{"reg/app:1": "reg/app@sha256:aa", "reg/side:1": "reg/side@sha256:bb", "reg/pull-flaky/app:1": "reg/pull-flaky/app@sha256:cc"}
	src := mapSource{
		secrets:    map[string]*corev1.Secret{"app-env": {Data: map[string][]byte{"APP_AUTH_TOKEN": []byte("x")}}},
		configMaps: map[string]*corev1.ConfigMap{"settings": {Data: map[string]string{"LOG_LEVEL": "info"}}},
	}
	optional := true
	secretKey := func(name, key string, opt *bool) corev1.EnvVar {
		return corev1.EnvVar{Name: key, ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: name}, Key: key, Optional: opt}}}
	}
	cases := map[string]struct {
		strict bool
		pod    *corev1.Pod
		ids    map[string]string
		err    *ContainerError
	}{
		"pulled": {true, pod(corev1.Container{Name: "app", Image: "reg/app:1"}, corev1.Container{Name: "side", Image: "reg/side:1"}),
			map[string]string{"app": "reg/app@sha256:aa", "side": "reg/side@sha256:bb"}, nil},
		"missing image on a twin cluster": {true, pod(corev1.Container{Name: "app", Image: "reg/app:2"}),
			map[string]string{}, &ContainerError{"app", ReasonErrImagePull, "not found: reg/app:2"}},
		"missing image on the local cluster": {false, pod(corev1.Container{Name: "app", Image: "reg/app:2"}),
			map[string]string{"app": ""}, nil},
		"pull-fail marker": {false, pod(corev1.Container{Name: "app", Image: "reg/pull-fail/app:1"}),
			map[string]string{}, &ContainerError{"app", ReasonErrImagePull, `failed to pull and unpack image "reg/pull-fail/app:1": the sandbox rejects images whose reference contains "pull-fail"`}},
		"missing secret": {true, pod(corev1.Container{Name: "app", Image: "reg/app:1", EnvFrom: []corev1.EnvFromSource{{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "demo-app-env"}}}}}),
			map[string]string{"app": "reg/app@sha256:aa"}, &ContainerError{"app", ReasonCreateContainerConfigError, `secret "demo-app-env" not found`}},
		"missing key": {true, pod(corev1.Container{Name: "app", Image: "reg/app:1", Env: []corev1.EnvVar{secretKey("app-env", "API_TOKEN", nil)}}),
			map[string]string{"app": "reg/app@sha256:aa"}, &ContainerError{"app", ReasonCreateContainerConfigError, "couldn't find key API_TOKEN in Secret demo/app-env"}},
		"missing optional key": {true, pod(corev1.Container{Name: "app", Image: "reg/app:1", Env: []corev1.EnvVar{secretKey("nope", "X", &optional)}}),
			map[string]string{"app": "reg/app@sha256:aa"}, nil},
		"present references": {true, pod(corev1.Container{Name: "app", Image: "reg/app:1", Env: []corev1.EnvVar{secretKey("app-env", "APP_AUTH_TOKEN", nil),
			{Name: "L", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "settings"}, Key: "LOG_LEVEL"}}}}}),
			map[string]string{"app": "reg/app@sha256:aa"}, nil},
		"missing configmap": {true, pod(corev1.Container{Name: "app", Image: "reg/app:1", EnvFrom: []corev1.EnvFromSource{{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "other"}}}}}),
			map[string]string{"app": "reg/app@sha256:aa"}, &ContainerError{"app", ReasonCreateContainerConfigError, `configmap "other" not found`}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			w := &podWork{puller: newPuller(resolver, c.strict), config: src}
			got := w.decide(context.Background(), c.pod)
			gotIDs, _ := json.Marshal(got.ImageIDs)
			wantIDs, _ := json.Marshal(c.ids)
			if string(gotIDs) != string(wantIDs) {
				t.Errorf("image IDs = %s, want %s", gotIDs, wantIDs)
			}
			if (got.Error == nil) != (c.err == nil) || got.Error != nil && *got.Error != *c.err {
				t.Errorf("error = %+v, want %+v", got.Error, c.err)
			}
		})
	}

	// The flaky marker fails the first pull of each pod's container, then pulls.
	w := &podWork{puller: newPuller(resolver, true), config: src}
	p := pod(corev1.Container{Name: "app", Image: "reg/pull-flaky/app:1"})
	if o := w.decide(context.Background(), p); o.Error == nil || o.Error.Reason != ReasonErrImagePull || !strings.Contains(o.Error.Message, "503") {
		t.Errorf("first flaky pull: %+v", o.Error)
	}
	if o := w.decide(context.Background(), p); o.Error != nil || o.ImageIDs["app"] != "reg/pull-flaky/app@sha256:cc" {
		t.Errorf("second flaky pull: %+v", o)
	}
	other := p.DeepCopy()
	other.UID = "uid-2"
	if o := w.decide(context.Background(), other); o.Error == nil {
		t.Error("another pod's first flaky pull succeeded")
	}
}

func annotationsOf(t *testing.T, client *fake.Clientset, ns, name string) map[string]string {
	t.Helper()
	p, err := client.CoreV1().Pods(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return p.Annotations
}

func TestClusterAgentAnnotatesPodsRetriesAndBindsNamespaces(t *testing.T) {
	host, digest := testRegistry(t)
	client := fake.NewClientset()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	agent := &ClusterAgent{Name: "demo-staging", Client: client, Resolver: RegistryResolver{}, Strict: true, RetryBase: 50 * time.Millisecond, RetryMax: 200 * time.Millisecond}
	done := make(chan error, 1)
	go func() { done <- agent.Run(ctx) }()

	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err := client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "demo"}}, metav1.CreateOptions{})
	must(err)
	good := pod(corev1.Container{Name: "app", Image: host + "/demo-app:v1"})
	good.Name = "good"
	_, err = client.CoreV1().Pods("demo").Create(ctx, good, metav1.CreateOptions{})
	must(err)
	waiting := pod(corev1.Container{Name: "app", Image: host + "/demo-app:v1", EnvFrom: []corev1.EnvFromSource{{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "demo-app-env"}}}}})
	waiting.Name, waiting.UID = "waiting", "uid-w"
	_, err = client.CoreV1().Pods("demo").Create(ctx, waiting, metav1.CreateOptions{})
	must(err)
	unscheduled := pod(corev1.Container{Name: "app", Image: host + "/demo-app:v1"})
	unscheduled.Name, unscheduled.Spec.NodeName = "unscheduled", ""
	_, err = client.CoreV1().Pods("demo").Create(ctx, unscheduled, metav1.CreateOptions{})
	must(err)

	poll := func(what string, cond func() bool) {
		t.Helper()
		if err := wait.PollUntilContextTimeout(ctx, 20*time.Millisecond, 10*time.Second, true, func(context.Context) (bool, error) { return cond(), nil }); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	poll("the good pod's image IDs", func() bool { return Done(annotationsOf(t, client, "demo", "good")) })
	if got := annotationsOf(t, client, "demo", "good")[AnnotationImageIDs]; got != `{"app":"`+host+`/demo-app@`+digest+`"}` {
		t.Errorf("image IDs = %s", got)
	}
	poll("the waiting pod's config error", func() bool {
		return strings.Contains(annotationsOf(t, client, "demo", "waiting")[AnnotationContainerError], `secret \"demo-app-env\" not found`)
	})
	_, err = client.CoreV1().Secrets("demo").Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "demo-app-env"}}, metav1.CreateOptions{})
	must(err)
	poll("the waiting pod starting once its secret exists", func() bool { return Done(annotationsOf(t, client, "demo", "waiting")) })
	if a := annotationsOf(t, client, "demo", "unscheduled"); len(a) != 0 {
		t.Errorf("an unscheduled pod was annotated: %v", a)
	}
	poll("the namespace's access policy bindings", func() bool {
		rbs, err := client.RbacV1().RoleBindings("demo").List(ctx, metav1.ListOptions{})
		return err == nil && len(rbs.Items) == 4
	})
	crbs, err := client.RbacV1().ClusterRoleBindings().List(ctx, metav1.ListOptions{})
	if err != nil || len(crbs.Items) != 4 {
		t.Errorf("cluster bindings: %d, %v", len(crbs.Items), err)
	}
	poll("the kubelet's events", func() bool {
		events, err := client.CoreV1().Events("demo").List(ctx, metav1.ListOptions{})
		if err != nil {
			return false
		}
		var pulled, failed bool
		for _, e := range events.Items {
			pulled = pulled || e.Reason == "Pulled" && e.Source.Component == "kubelet" && e.Source.Host == "sandbox-node-a"
			failed = failed || e.Reason == "Failed" && e.Type == corev1.EventTypeWarning && strings.Contains(e.Message, `secret "demo-app-env" not found`)
		}
		return pulled && failed
	})
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
}

// TestResolverMapsECRHosts: an image named as in ECR is pulled from the registry that serves the
// account, and its imageID keeps the ECR name.
func TestResolverMapsECRHosts(t *testing.T) {
	srv := httptest.NewServer(registry.New())
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	tag, _ := name.NewTag(host+"/demo-app:abc1234", name.Insecure)
	if err := remote.Write(tag, img); err != nil {
		t.Fatal(err)
	}
	digest, _ := img.Digest()
	const ecrHost = "222222222222.dkr.ecr.ap-southeast-2.amazonaws.com"
	r := RegistryResolver{Hosts: map[string]string{ecrHost: host}}
	for _, ref := range []string{ecrHost + "/demo-app:abc1234", ecrHost + "/demo-app@" + digest.String()} {
		id, err := r.Resolve(context.Background(), ref)
		if err != nil || id != ecrHost+"/demo-app@"+digest.String() {
			t.Errorf("Resolve(%s) = %q, %v; want the ECR name with the served digest", ref, id, err)
		}
	}
}
