package helmdeploy

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

// An install creates its namespace only when the cluster says it does not exist: an existing one is
// the app stack's, and one the deploy identity may not read is left alone (a namespace-scoped EKS
// access policy cannot create namespaces).
func TestInstallCreatesOnlyAMissingNamespace(t *testing.T) {
	ctx := context.Background()
	exists := fake.NewClientset(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "demo"}})
	if createNamespace(ctx, exists, "demo") {
		t.Error("an existing namespace must not be created")
	}
	if !createNamespace(ctx, exists, "other") {
		t.Error("a missing namespace must be created")
	}
	forbidden := fake.NewClientset()
	forbidden.PrependReactor("get", "namespaces", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "namespaces"}, "demo", nil)
	})
	if createNamespace(ctx, forbidden, "demo") {
		t.Error("a namespace the identity may not read must not be created")
	}
}
