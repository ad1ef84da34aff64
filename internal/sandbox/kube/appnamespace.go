package kube

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// AppNamespace is an application's namespace on a twin cluster as modules/eks-app declares it (the
// app stack's Kubernetes resources, which the sandbox seeds as it seeds the AWS ones): Pod Security
// "restricted", default container requests and limits, and the Role that lets the deployers' group
// manage the chart's ExternalSecrets, which EKS access policies do not cover.
type AppNamespace struct {
	Name          string
	App           string // app.kubernetes.io/part-of
	DeployerGroup string // "" for none
}

// objects are what modules/eks-app creates, in creation order.
func (a AppNamespace) namespace() *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: a.Name, Labels: map[string]string{
		"app.kubernetes.io/part-of":                  a.App,
		"pod-security.kubernetes.io/enforce":         "restricted",
		"pod-security.kubernetes.io/enforce-version": "latest",
		"pod-security.kubernetes.io/warn":            "restricted",
	}}}
}

func (a AppNamespace) limitRange() *corev1.LimitRange {
	return &corev1.LimitRange{ObjectMeta: metav1.ObjectMeta{Name: "defaults", Namespace: a.Name},
		Spec: corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{{
			Type:           corev1.LimitTypeContainer,
			DefaultRequest: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("128Mi")},
			Default:        corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m"), corev1.ResourceMemory: resource.MustParse("512Mi")},
		}}}}
}

const deployerRole = "ci-deployer-extras"

func (a AppNamespace) deployerRole() *rbacv1.Role {
	return &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: deployerRole, Namespace: a.Name},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{"external-secrets.io"}, Resources: []string{"externalsecrets"},
			Verbs: []string{"get", "list", "watch", "create", "update", "patch", "delete"}}}}
}

func (a AppNamespace) deployerBinding() *rbacv1.RoleBinding {
	return &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: deployerRole, Namespace: a.Name},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: deployerRole},
		Subjects: []rbacv1.Subject{{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: a.DeployerGroup}}}
}

// ensure creates what is missing (it never changes what exists: the app stack owns it).
func (a AppNamespace) ensure(ctx context.Context, client kubernetes.Interface) error {
	create := func(what string, err error) error {
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("app namespace %s: create %s: %w", a.Name, what, err)
		}
		return nil
	}
	_, err := client.CoreV1().Namespaces().Create(ctx, a.namespace(), metav1.CreateOptions{})
	if err := create("the namespace", err); err != nil {
		return err
	}
	_, err = client.CoreV1().LimitRanges(a.Name).Create(ctx, a.limitRange(), metav1.CreateOptions{})
	if err := create("the LimitRange defaults", err); err != nil {
		return err
	}
	if a.DeployerGroup == "" {
		return nil
	}
	_, err = client.RbacV1().Roles(a.Name).Create(ctx, a.deployerRole(), metav1.CreateOptions{})
	if err := create("the Role "+deployerRole, err); err != nil {
		return err
	}
	_, err = client.RbacV1().RoleBindings(a.Name).Create(ctx, a.deployerBinding(), metav1.CreateOptions{})
	return create("the RoleBinding "+deployerRole, err)
}
