package externalsecrets

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
)

type fakeProvider map[string]string // service/key → value

func (f fakeProvider) Value(_ context.Context, service, region, key string) (string, error) {
	if region != "ap-southeast-2" {
		return "", errors.New("wrong region " + region)
	}
	v, ok := f[service+"/"+key]
	if !ok {
		return "", errors.New("ResourceNotFoundException: Secrets Manager can't find the specified secret")
	}
	return v, nil
}

func obj(apiVersion, kind, ns, name string, spec map[string]any) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": apiVersion, "kind": kind, "spec": spec,
		"metadata": map[string]any{"name": name, "namespace": ns, "uid": "uid-" + name, "generation": int64(1)}}}
	if ns == "" {
		unstructured.RemoveNestedField(u.Object, "metadata", "namespace")
	}
	return u
}

func store(name, service string) *unstructured.Unstructured {
	return obj("external-secrets.io/v1", "ClusterSecretStore", "", name, map[string]any{"provider": map[string]any{"aws": map[string]any{"service": service, "region": "ap-southeast-2"}}})
}

func externalSecret(name, storeName, target string, data ...map[string]any) *unstructured.Unstructured {
	items := []any{}
	for _, d := range data {
		items = append(items, d)
	}
	return obj("external-secrets.io/v1", "ExternalSecret", "demo", name, map[string]any{
		"refreshInterval": "1h",
		"secretStoreRef":  map[string]any{"kind": "ClusterSecretStore", "name": storeName},
		"target":          map[string]any{"name": target, "creationPolicy": "Owner"},
		"data":            items,
	})
}

func ref(secretKey, key, property string) map[string]any {
	r := map[string]any{"key": key}
	if property != "" {
		r["property"] = property
	}
	return map[string]any{"secretKey": secretKey, "remoteRef": r}
}

func TestCRDsParse(t *testing.T) {
	crds, err := CRDs()
	if err != nil || len(crds) != 2 || crds[0].GetName() != "externalsecrets.external-secrets.io" || crds[1].GetName() != "clustersecretstores.external-secrets.io" {
		t.Fatalf("CRDs = %v, %v", crds, err)
	}
}

func TestControllerSyncsSecretsAndReportsFailures(t *testing.T) {
	sch := runtime.NewScheme()
	established := func(u *unstructured.Unstructured) *unstructured.Unstructured {
		u.Object["status"] = map[string]any{"conditions": []any{map[string]any{"type": "Established", "status": "True"}}}
		return u
	}
	crds, _ := CRDs()
	objects := []runtime.Object{established(crds[0]), established(crds[1]),
		store("aws-secrets-manager", SecretsManager), store("aws-parameter-store", ParameterStore),
		externalSecret("demo-app", "aws-secrets-manager", "demo-app-env", ref("APP_AUTH_TOKEN", "demo-app/staging/app-auth-token", ""), ref("DB_USER", "demo-app/staging/db", "username")),
		externalSecret("demo-app-params", "aws-parameter-store", "demo-app-params", ref("S3_BUCKET", "/demo-app/staging/app/S3_BUCKET", "")),
		externalSecret("broken", "aws-secrets-manager", "broken-env", ref("X", "demo-app/staging/nope", "")),
	}
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(sch, map[schema.GroupVersionResource]string{
		ExternalSecretResource: "ExternalSecretList", ClusterSecretStoreResource: "ClusterSecretStoreList", crdResource: "CustomResourceDefinitionList",
	}, objects...)
	client := fake.NewClientset()
	provider := fakeProvider{
		"SecretsManager/demo-app/staging/app-auth-token": "s3cret",
		"SecretsManager/demo-app/staging/db":             `{"username":"app","password":"pw"}`,
		"ParameterStore//demo-app/staging/app/S3_BUCKET": "demo-app-staging-data",
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := &Controller{Name: "demo-staging", Dynamic: dyn, Client: client, Provider: provider, RetryBase: 20 * time.Millisecond, RetryMax: 100 * time.Millisecond}
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()

	poll := func(what string, cond func() bool) {
		t.Helper()
		if err := wait.PollUntilContextTimeout(ctx, 20*time.Millisecond, 10*time.Second, true, func(context.Context) (bool, error) { return cond(), nil }); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	poll("the synced Secrets", func() bool {
		a, err1 := client.CoreV1().Secrets("demo").Get(ctx, "demo-app-env", metav1.GetOptions{})
		b, err2 := client.CoreV1().Secrets("demo").Get(ctx, "demo-app-params", metav1.GetOptions{})
		return err1 == nil && err2 == nil && string(a.Data["APP_AUTH_TOKEN"]) == "s3cret" && string(a.Data["DB_USER"]) == "app" &&
			string(b.Data["S3_BUCKET"]) == "demo-app-staging-data" && a.OwnerReferences[0].UID == "uid-demo-app" && a.Labels[ManagedLabel] == "true"
	})
	ready := func(name string) (string, string) {
		u, err := dyn.Resource(ExternalSecretResource).Namespace("demo").Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return "", err.Error()
		}
		conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
		if len(conds) == 0 {
			return "", ""
		}
		m := conds[0].(map[string]any)
		return m["status"].(string) + "/" + m["reason"].(string), m["message"].(string)
	}
	poll("the Ready conditions", func() bool {
		a, _ := ready("demo-app")
		b, msg := ready("broken")
		return a == "True/SecretSynced" && b == "False/SecretSyncedError" && strings.Contains(msg, "key: demo-app/staging/nope: ResourceNotFoundException")
	})
	if _, err := client.CoreV1().Secrets("demo").Get(ctx, "broken-env", metav1.GetOptions{}); err == nil {
		t.Error("a Secret was written for an ExternalSecret whose key does not exist")
	}

	// A rotated secret is synced again when the ExternalSecret asks (force-sync annotation).
	provider["SecretsManager/demo-app/staging/app-auth-token"] = "rotated"
	es, _ := dyn.Resource(ExternalSecretResource).Namespace("demo").Get(ctx, "demo-app", metav1.GetOptions{})
	es.SetAnnotations(map[string]string{"force-sync": "1"})
	if _, err := dyn.Resource(ExternalSecretResource).Namespace("demo").Update(ctx, es, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	poll("the rotated value", func() bool {
		s, err := client.CoreV1().Secrets("demo").Get(ctx, "demo-app-env", metav1.GetOptions{})
		return err == nil && string(s.Data["APP_AUTH_TOKEN"]) == "rotated"
	})
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
}

func TestPlanRefusesWhatTheSandboxDoesNotModel(t *testing.T) {
	stores := func(name string) (*unstructured.Unstructured, error) {
		if name == "aws-secrets-manager" {
			return store(name, SecretsManager), nil
		}
		return nil, errors.New("not found")
	}
	cases := map[string]func(es *unstructured.Unstructured){
		"secretStoreRef.kind": func(es *unstructured.Unstructured) {
			_ = unstructured.SetNestedField(es.Object, "SecretStore", "spec", "secretStoreRef", "kind")
		},
		"could not get": func(es *unstructured.Unstructured) {
			_ = unstructured.SetNestedField(es.Object, "nope", "spec", "secretStoreRef", "name")
		},
		"Owner and Orphan only": func(es *unstructured.Unstructured) {
			_ = unstructured.SetNestedField(es.Object, "Merge", "spec", "target", "creationPolicy")
		},
		"spec.data only": func(es *unstructured.Unstructured) { es.Object["spec"].(map[string]any)["dataFrom"] = []any{} },
		"not a duration": func(es *unstructured.Unstructured) {
			_ = unstructured.SetNestedField(es.Object, "soon", "spec", "refreshInterval")
		},
		"lists nothing to sync": func(es *unstructured.Unstructured) {
			_ = unstructured.SetNestedSlice(es.Object, []any{}, "spec", "data")
		},
		"needs secretKey and remoteRef.key": func(es *unstructured.Unstructured) {
			_ = unstructured.SetNestedSlice(es.Object, []any{map[string]any{}}, "spec", "data")
		},
	}
	for want, edit := range cases {
		es := externalSecret("x", "aws-secrets-manager", "x", ref("A", "k", ""))
		edit(es)
		if _, err := planOf(es, stores); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v", want, err)
		}
	}
	if _, err := property("not json", "a"); err == nil {
		t.Error("property of a non-JSON value")
	}
}
