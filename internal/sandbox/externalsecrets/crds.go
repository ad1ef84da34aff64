package externalsecrets

// crdsYAML are the CustomResourceDefinitions of the operator's resources as the sandbox serves them:
// the kinds and versions the app chart and stacks/platform/eks use (external-secrets.io/v1
// ExternalSecret and ClusterSecretStore), with an open schema (the real CRDs validate every field; the
// sandbox's controller reports what it cannot use in the resource's status instead). They are Go source,
// not an embedded file, so kube-twin's build key (a hash of its Go sources) covers them.
const crdsYAML = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: externalsecrets.external-secrets.io
  labels:
    app.kubernetes.io/managed-by: sandbox-external-secrets
spec:
  group: external-secrets.io
  scope: Namespaced
  names:
    kind: ExternalSecret
    listKind: ExternalSecretList
    plural: externalsecrets
    singular: externalsecret
    shortNames: [es]
    categories: [external-secrets]
  versions:
  - name: v1
    served: true
    storage: true
    subresources:
      status: {}
    additionalPrinterColumns:
    - name: Store
      type: string
      jsonPath: .spec.secretStoreRef.name
    - name: Refresh Interval
      type: string
      jsonPath: .spec.refreshInterval
    - name: Status
      type: string
      jsonPath: .status.conditions[?(@.type=="Ready")].reason
    - name: Ready
      type: string
      jsonPath: .status.conditions[?(@.type=="Ready")].status
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            x-kubernetes-preserve-unknown-fields: true
          status:
            type: object
            x-kubernetes-preserve-unknown-fields: true
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: clustersecretstores.external-secrets.io
  labels:
    app.kubernetes.io/managed-by: sandbox-external-secrets
spec:
  group: external-secrets.io
  scope: Cluster
  names:
    kind: ClusterSecretStore
    listKind: ClusterSecretStoreList
    plural: clustersecretstores
    singular: clustersecretstore
    shortNames: [css]
    categories: [external-secrets]
  versions:
  - name: v1
    served: true
    storage: true
    subresources:
      status: {}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            x-kubernetes-preserve-unknown-fields: true
          status:
            type: object
            x-kubernetes-preserve-unknown-fields: true
`
