// Package externalsecrets stands in for the External Secrets Operator that stacks/platform/eks
// installs in each EKS cluster: it serves the external-secrets.io/v1 ExternalSecret and
// ClusterSecretStore kinds (crds.yaml) and syncs each ExternalSecret's data from AWS Secrets Manager or
// SSM Parameter Store (through the sandbox's AWS endpoint) into its target Secret, as the operator does:
// the Secret appears once every remote key was read, is owned by the ExternalSecret
// (creationPolicy Owner), is refreshed every refreshInterval, and the ExternalSecret's Ready condition
// says SecretSynced or SecretSyncedError with the reason. A pod whose environment references the
// Secret waits in CreateContainerConfigError until then (kubeagent), as on EKS.
package externalsecrets

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/dynamic"
)

// Group and version of the operator's resources.
const (
	Group   = "external-secrets.io"
	Version = "v1"
)

var (
	crdResource                = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
	ExternalSecretResource     = schema.GroupVersionResource{Group: Group, Version: Version, Resource: "externalsecrets"}
	ClusterSecretStoreResource = schema.GroupVersionResource{Group: Group, Version: Version, Resource: "clustersecretstores"}
)

// crdHashLabel records which version of crds.yaml a CRD was created from, so a changed file updates it.
const crdHashLabel = "sandbox.delivery/crd-hash"

// CRDs returns the CustomResourceDefinitions the stand-in serves.
func CRDs() ([]*unstructured.Unstructured, error) {
	var out []*unstructured.Unstructured
	dec := yaml.NewYAMLOrJSONDecoder(bytes.NewReader([]byte(crdsYAML)), 4096)
	for {
		var obj map[string]any
		if err := dec.Decode(&obj); err != nil {
			if err.Error() == "EOF" {
				return out, nil
			}
			return nil, fmt.Errorf("the embedded CRDs: %w", err)
		}
		if obj != nil {
			out = append(out, &unstructured.Unstructured{Object: obj})
		}
	}
}

// EnsureCRDs creates or updates the CRDs and waits until the API server serves them.
func EnsureCRDs(ctx context.Context, client dynamic.Interface) error {
	crds, err := CRDs()
	if err != nil {
		return err
	}
	api := client.Resource(crdResource)
	for _, crd := range crds {
		data, err := crd.MarshalJSON()
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		labels := crd.GetLabels()
		labels[crdHashLabel] = hex.EncodeToString(sum[:])[:16]
		crd.SetLabels(labels)
		got, err := api.Get(ctx, crd.GetName(), metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			_, err = api.Create(ctx, crd, metav1.CreateOptions{})
		case err == nil && got.GetLabels()[crdHashLabel] != labels[crdHashLabel]:
			crd.SetResourceVersion(got.GetResourceVersion())
			crd.Object["status"] = got.Object["status"] // the API server keeps it anyway (status subresource)
			_, err = api.Update(ctx, crd, metav1.UpdateOptions{})
		}
		if err != nil {
			return fmt.Errorf("CRD %s: %w", crd.GetName(), err)
		}
	}
	for _, crd := range crds {
		err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
			got, err := api.Get(ctx, crd.GetName(), metav1.GetOptions{})
			if err != nil {
				return false, nil
			}
			conditions, _, _ := unstructured.NestedSlice(got.Object, "status", "conditions")
			for _, c := range conditions {
				m, _ := c.(map[string]any)
				if m["type"] == "Established" && m["status"] == "True" {
					return true, nil
				}
			}
			return false, nil
		})
		if err != nil {
			return fmt.Errorf("CRD %s never became established: %w", crd.GetName(), err)
		}
	}
	return nil
}
