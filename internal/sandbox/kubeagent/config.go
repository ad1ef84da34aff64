package kubeagent

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// ConfigSource reads the Secrets and ConfigMaps of a namespace (informer listers in the agent).
type ConfigSource interface {
	Secret(namespace, name string) (*corev1.Secret, error)
	ConfigMap(namespace, name string) (*corev1.ConfigMap, error)
}

// checkEnvironment finds the first reference of a container's environment the kubelet could not
// resolve (it then reports CreateContainerConfigError with these messages and retries). Optional
// references never block. Volumes are not checked (a missing volume source keeps a real pod in
// ContainerCreating with FailedMount events, which the sandbox does not model).
func checkEnvironment(pod *corev1.Pod, c corev1.Container, src ConfigSource) error {
	ns := pod.Namespace
	for _, from := range c.EnvFrom {
		switch {
		case from.SecretRef != nil && !isTrue(from.SecretRef.Optional):
			if _, err := src.Secret(ns, from.SecretRef.Name); err != nil {
				return missing("secret", from.SecretRef.Name, err)
			}
		case from.ConfigMapRef != nil && !isTrue(from.ConfigMapRef.Optional):
			if _, err := src.ConfigMap(ns, from.ConfigMapRef.Name); err != nil {
				return missing("configmap", from.ConfigMapRef.Name, err)
			}
		}
	}
	for _, env := range c.Env {
		if env.ValueFrom == nil {
			continue
		}
		if ref := env.ValueFrom.SecretKeyRef; ref != nil && !isTrue(ref.Optional) {
			s, err := src.Secret(ns, ref.Name)
			if err != nil {
				return missing("secret", ref.Name, err)
			}
			_, inData := s.Data[ref.Key]
			_, inString := s.StringData[ref.Key]
			if !inData && !inString {
				return fmt.Errorf("couldn't find key %s in Secret %s/%s", ref.Key, ns, ref.Name)
			}
		}
		if ref := env.ValueFrom.ConfigMapKeyRef; ref != nil && !isTrue(ref.Optional) {
			cm, err := src.ConfigMap(ns, ref.Name)
			if err != nil {
				return missing("configmap", ref.Name, err)
			}
			_, inData := cm.Data[ref.Key]
			_, inBinary := cm.BinaryData[ref.Key]
			if !inData && !inBinary {
				return fmt.Errorf("couldn't find key %s in ConfigMap %s/%s", ref.Key, ns, ref.Name)
			}
		}
	}
	return nil
}

func missing(kind, name string, err error) error {
	if apierrors.IsNotFound(err) {
		return fmt.Errorf("%s %q not found", kind, name)
	}
	return fmt.Errorf("read %s %q: %w", kind, name, err)
}

func isTrue(b *bool) bool { return b != nil && *b }
