package kube

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/yaml"

	"github.com/platformteam/delivery/internal/sandbox/externalsecrets"
)

// regionValue is the chart's one template expression, the region value.
var regionValue = regexp.MustCompile(`\{\{[^}]*\.Values\.region[^}]*\}\}`)

// EnsureClusterSecretStores creates, on cluster c, the ClusterSecretStores the platform stack's chart
// declares (template: the chart's stores.yaml, whose only value is the region), as stacks/platform/eks
// installs them: the app chart's ExternalSecrets refer to them. Existing stores are left as they are.
// The External Secrets stand-in (kube-twin) must have installed its CRDs.
func EnsureClusterSecretStores(ctx context.Context, c Cluster, template string) error {
	raw, err := os.ReadFile(template)
	if err != nil {
		return fmt.Errorf("read the ClusterSecretStores chart: %w", err)
	}
	rendered := regionValue.ReplaceAllString(string(raw), strconv.Quote(c.Region))
	if strings.Contains(rendered, "{{") {
		return fmt.Errorf("%s uses a template value the sandbox does not render (only .Values.region)", template)
	}
	rc, err := clientcmd.BuildConfigFromFlags("", c.Kubeconfig())
	if err != nil {
		return err
	}
	client, err := dynamic.NewForConfig(rc)
	if err != nil {
		return err
	}
	for _, doc := range strings.Split(rendered, "\n---") {
		if strings.TrimSpace(doc) == "" {
			continue
		}
		var obj unstructured.Unstructured
		if err := yaml.Unmarshal([]byte(doc), &obj.Object); err != nil {
			return fmt.Errorf("%s: %w", template, err)
		}
		if obj.GetKind() != "ClusterSecretStore" {
			return fmt.Errorf("%s declares a %s; the sandbox creates ClusterSecretStores only", template, obj.GetKind())
		}
		_, err := client.Resource(externalsecrets.ClusterSecretStoreResource).Create(ctx, &obj, metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("create ClusterSecretStore %s: %w", obj.GetName(), err)
		}
	}
	return nil
}
