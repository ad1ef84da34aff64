// Package kubeagent does, for the sandbox's kwok clusters, the part of a kubelet's work that kwok
// cannot: it pulls each pod's images from the registry (resolving each reference to the digest the
// registry serves, which becomes the container status imageID `<repository>@sha256:...`, as
// containerd reports it) and checks the Secrets and ConfigMaps a container's environment references,
// before the container may start. It writes the outcome on the pod as annotations; the kwok stages
// (kwokstages) render the pod status from them: Running with imageID, ErrImagePull then
// ImagePullBackOff, InvalidImageName, or CreateContainerConfigError. Failed pulls and missing
// references are retried with backoff, as the kubelet retries them, so a registry that fails once
// gives one ErrImagePull and then a running pod.
//
// It also keeps, in every namespace, the RBAC bindings that grant the groups the EKS twin derives
// from access policy associations (ekstwin.NamespacePolicyBindings), and the cluster-wide ones.
package kubeagent
