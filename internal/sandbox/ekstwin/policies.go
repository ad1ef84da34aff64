package ekstwin

import (
	"fmt"
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// AccessPolicy is an EKS access policy and the Kubernetes ClusterRole the twin grants for it. EKS
// authorizes access policies in its own authorizer before RBAC; the twin cannot run that authorizer,
// so it turns each association into a group that an RBAC binding of the nearest built-in ClusterRole
// grants (see RBAC below). AWS documents each policy's permissions as close to that ClusterRole.
type AccessPolicy struct {
	Name        string
	ClusterRole string
}

// ARN is the policy's ARN (arn:aws:eks::aws:cluster-access-policy/<name>).
func (p AccessPolicy) ARN(partition string) string {
	return "arn:" + partition + ":eks::aws:cluster-access-policy/" + p.Name
}

// AccessPolicies are the access policies the twin knows: those the Terraform modules may associate
// (modules/eks-cluster validates the same four names).
var AccessPolicies = []AccessPolicy{
	{Name: "AmazonEKSClusterAdminPolicy", ClusterRole: "cluster-admin"},
	{Name: "AmazonEKSAdminPolicy", ClusterRole: "admin"},
	{Name: "AmazonEKSEditPolicy", ClusterRole: "edit"},
	{Name: "AmazonEKSViewPolicy", ClusterRole: "view"},
}

// Access scope types.
const (
	ScopeCluster   = "cluster"
	ScopeNamespace = "namespace"
)

// policyByARN finds an access policy by ARN, in any partition.
func policyByARN(arn string) (AccessPolicy, bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "eks" || parts[4] != "aws" {
		return AccessPolicy{}, false
	}
	name, ok := strings.CutPrefix(parts[5], "cluster-access-policy/")
	if !ok {
		return AccessPolicy{}, false
	}
	i := slices.IndexFunc(AccessPolicies, func(p AccessPolicy) bool { return p.Name == name })
	if i < 0 {
		return AccessPolicy{}, false
	}
	return AccessPolicies[i], true
}

// PolicyGroupPrefix starts every group the twin derives from an access policy association.
const PolicyGroupPrefix = "eks-access-policy:"

// PolicyGroup is the Kubernetes group of an association: cluster scope grants the policy's
// ClusterRole everywhere, namespace scope only in that namespace.
func PolicyGroup(policy AccessPolicy, namespace string) string {
	if namespace == "" {
		return PolicyGroupPrefix + policy.Name
	}
	return PolicyGroupPrefix + policy.Name + ":" + namespace
}

// RBACManagedBy labels the bindings the twin keeps in its clusters.
const RBACManagedBy = "sandbox-eks-access-policies"

func bindingName(policy AccessPolicy) string {
	return "eks-access-policy:" + strings.ToLower(policy.Name)
}

func bindingMeta(policy AccessPolicy, namespace string) metav1.ObjectMeta {
	return metav1.ObjectMeta{
		Name: bindingName(policy), Namespace: namespace,
		Labels: map[string]string{"app.kubernetes.io/managed-by": RBACManagedBy},
	}
}

// ClusterPolicyBindings are the ClusterRoleBindings that grant cluster-scoped associations.
func ClusterPolicyBindings() []rbacv1.ClusterRoleBinding {
	var out []rbacv1.ClusterRoleBinding
	for _, p := range AccessPolicies {
		out = append(out, rbacv1.ClusterRoleBinding{
			ObjectMeta: bindingMeta(p, ""),
			Subjects:   []rbacv1.Subject{{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: PolicyGroup(p, "")}},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: p.ClusterRole},
		})
	}
	return out
}

// NamespacePolicyBindings are the RoleBindings that grant namespace-scoped associations in
// namespace; every namespace of a twin cluster has them, so an association may name a namespace
// that does not exist yet, as on EKS.
func NamespacePolicyBindings(namespace string) []rbacv1.RoleBinding {
	var out []rbacv1.RoleBinding
	for _, p := range AccessPolicies {
		out = append(out, rbacv1.RoleBinding{
			ObjectMeta: bindingMeta(p, namespace),
			Subjects:   []rbacv1.Subject{{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: PolicyGroup(p, namespace)}},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: p.ClusterRole},
		})
	}
	return out
}

// validateScope checks an access scope as EKS does.
func validateScope(s AccessScope) error {
	switch s.Type {
	case ScopeCluster:
		if len(s.Namespaces) > 0 {
			return fmt.Errorf("accessScope of type cluster must not list namespaces")
		}
	case ScopeNamespace:
		if len(s.Namespaces) == 0 {
			return fmt.Errorf("accessScope of type namespace must list at least one namespace")
		}
		for _, ns := range s.Namespaces {
			if strings.HasSuffix(ns, "*") {
				return fmt.Errorf("accessScope namespace %q: the sandbox twin does not support wildcard namespaces (EKS does); name each namespace", ns)
			}
			if ns == "" || len(ns) > 63 || strings.Trim(ns, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" || strings.HasPrefix(ns, "-") || strings.HasSuffix(ns, "-") {
				return fmt.Errorf("accessScope namespace %q is not a Kubernetes namespace name", ns)
			}
		}
	default:
		return fmt.Errorf("accessScope type %q must be cluster or namespace", s.Type)
	}
	return nil
}
