package kubeagent

import (
	"context"
	"fmt"
	"reflect"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/platformteam/delivery/internal/sandbox/ekstwin"
)

var metav1PatchOptions = metav1.PatchOptions{FieldManager: "sandbox-kubeagent"}

// ensureClusterBindings creates or repairs the ClusterRoleBindings of cluster-scoped access policies.
func ensureClusterBindings(ctx context.Context, client kubernetes.Interface) error {
	api := client.RbacV1().ClusterRoleBindings()
	for _, want := range ekstwin.ClusterPolicyBindings() {
		got, err := api.Get(ctx, want.Name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			_, err = api.Create(ctx, &want, metav1.CreateOptions{})
		case err == nil && !reflect.DeepEqual(got.RoleRef, want.RoleRef):
			// roleRef is immutable: replace the binding.
			if err = api.Delete(ctx, want.Name, metav1.DeleteOptions{}); err == nil {
				_, err = api.Create(ctx, &want, metav1.CreateOptions{})
			}
		case err == nil && !reflect.DeepEqual(got.Subjects, want.Subjects):
			got.Subjects = want.Subjects
			_, err = api.Update(ctx, got, metav1.UpdateOptions{})
		}
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("cluster role binding %s: %w", want.Name, err)
		}
	}
	return nil
}

// ensureNamespaceBindings creates or repairs the RoleBindings of namespace-scoped access policies.
func ensureNamespaceBindings(ctx context.Context, client kubernetes.Interface, namespace string) error {
	api := client.RbacV1().RoleBindings(namespace)
	for _, want := range ekstwin.NamespacePolicyBindings(namespace) {
		got, err := api.Get(ctx, want.Name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			_, err = api.Create(ctx, &want, metav1.CreateOptions{})
		case err == nil && !reflect.DeepEqual(got.RoleRef, want.RoleRef):
			if err = api.Delete(ctx, want.Name, metav1.DeleteOptions{}); err == nil {
				_, err = api.Create(ctx, &want, metav1.CreateOptions{})
			}
		case err == nil && !reflect.DeepEqual(got.Subjects, want.Subjects):
			got.Subjects = want.Subjects
			_, err = api.Update(ctx, got, metav1.UpdateOptions{})
		}
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("role binding %s/%s: %w", namespace, want.Name, err)
		}
	}
	return nil
}
