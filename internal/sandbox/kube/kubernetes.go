package kube

import (
	"context"
	"fmt"
	"net/http"
	"os/exec"
	"strconv"
	"time"

	"github.com/platformteam/delivery/internal/sandbox/proc"
)

// serviceCIDR is the cluster's service IP range (the API server's own service takes its first IP).
const serviceCIDR = "10.96.0.0/16"

// etcdPrefix is where the cluster's API server keeps its objects in the shared etcd.
func (c Cluster) etcdPrefix() string {
	if c.Primary {
		return "/registry"
	}
	return "/registry-" + c.Name
}

func (c Cluster) apiServerArgs(pki kubePKI) []string {
	args := []string{
		"kube-apiserver",
		"--etcd-servers=" + etcdURL(),
		"--etcd-prefix=" + c.etcdPrefix(),
		"--bind-address=" + proc.Host,
		"--advertise-address=" + proc.Host,
		"--secure-port=" + strconv.Itoa(c.Ports.APIServer),
		"--tls-cert-file=" + pki.ServerCert(),
		"--tls-private-key-file=" + pki.ServerKey(),
		"--client-ca-file=" + pki.CACert(),
		"--token-auth-file=" + pki.TokenFile(),
		"--authorization-mode=RBAC",
		"--anonymous-auth=false",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + pki.SAPub(),
		"--service-account-signing-key-file=" + pki.SAKey(),
		"--service-cluster-ip-range=" + serviceCIDR,
		"--allow-privileged=true",
		// A loopback advertise address cannot be reconciled into the kubernetes Endpoints object.
		"--endpoint-reconciler-type=none",
		// Without a kubelet nothing removes the not-ready taint this plugin puts on new nodes.
		"--disable-admission-plugins=TaintNodesByCondition",
		"--enable-priority-and-fairness=false",
		"--profiling=false",
		"--v=1",
	}
	if c.TokenWebhook != "" {
		// EKS authenticates IAM principals' bearer tokens (k8s-aws-v1.) in its authenticator; the
		// twin's is the AWS front's token review. Decisions are cached briefly, as EKS's are.
		args = append(args,
			"--authentication-token-webhook-config-file="+c.tokenWebhookConfig(),
			"--authentication-token-webhook-version=v1",
			"--authentication-token-webhook-cache-ttl=10s")
	}
	return args
}

func (c Cluster) controllerManagerArgs(pki kubePKI) []string {
	kubeconfig := c.kubeconfigPath("kube-controller-manager")
	return []string{
		"kube-controller-manager",
		"--kubeconfig=" + kubeconfig,
		"--authentication-kubeconfig=" + kubeconfig,
		"--authorization-kubeconfig=" + kubeconfig,
		"--bind-address=" + proc.Host,
		"--secure-port=" + strconv.Itoa(c.Ports.ControllerManager),
		"--leader-elect=false",
		// Only what Deployments, Jobs, namespaces and service accounts need, and the aggregation
		// that fills the admin, edit and view ClusterRoles (which EKS access policies are bound to):
		// no node lifecycle (kwok keeps nodes Ready), no cloud, no volumes.
		"--controllers=deployment-controller,replicaset-controller,job-controller,serviceaccount-controller,serviceaccount-token-controller,garbage-collector-controller,namespace-controller,clusterrole-aggregation-controller",
		"--service-account-private-key-file=" + pki.SAKey(),
		"--root-ca-file=" + pki.CACert(),
		"--use-service-account-credentials=true",
		"--profiling=false",
		"--v=1",
	}
}

func (c Cluster) schedulerArgs() []string {
	kubeconfig := c.kubeconfigPath("kube-scheduler")
	return []string{
		"kube-scheduler",
		"--kubeconfig=" + kubeconfig,
		"--authentication-kubeconfig=" + kubeconfig,
		"--authorization-kubeconfig=" + kubeconfig,
		"--bind-address=" + proc.Host,
		"--secure-port=" + strconv.Itoa(c.Ports.Scheduler),
		"--leader-elect=false",
		"--profiling=false",
		"--v=1",
	}
}

// controlPlane is the API server, the controller manager and the scheduler, in start order.
func (c Cluster) controlPlane(pki kubePKI) []proc.Process {
	adminTokenHeader := func() (http.Header, error) {
		tokens, err := pki.tokens()
		if err != nil {
			return nil, err
		}
		return http.Header{"Authorization": {"Bearer " + tokens["admin"]}}, nil
	}
	component := func(name string, port int, args []string, ready func(ctx context.Context) error) proc.Process {
		files := []string{pki.CACert(), pki.TokenFile(), pki.SAPub(), pki.ServerCert()}
		switch name {
		case "kube-controller-manager":
			files = []string{pki.CACert(), pki.SAKey(), c.kubeconfigPath(name)}
		case "kube-scheduler":
			files = []string{pki.CACert(), c.kubeconfigPath(name)}
		}
		if name == "kube-apiserver" && c.TokenWebhook != "" {
			files = append(files, c.tokenWebhookConfig())
		}
		return proc.Process{
			Name: c.process(name), Version: KubernetesVersion, Ports: []int{port}, ConfigFiles: files, Files: c.Files(c.process(name)),
			ReadyTimeout: 90 * time.Second, StopPolicy: proc.StopPolicy{Grace: 20 * time.Second},
			Command: func() (*exec.Cmd, error) { return exec.Command(c.Binaries.Kube, args...), nil },
			Ready:   ready,
		}
	}
	healthz := func(port int) func(ctx context.Context) error {
		return proc.HTTPCheck(insecureLoopbackClient, fmt.Sprintf("https://%s:%d/healthz", proc.Host, port), nil, http.StatusOK, "ok")
	}
	return []proc.Process{
		component("kube-apiserver", c.Ports.APIServer, c.apiServerArgs(pki),
			func(ctx context.Context) error {
				client, err := tlsClient(pki.CACert())
				if err != nil {
					return err
				}
				header, err := adminTokenHeader()
				if err != nil {
					return err
				}
				return proc.HTTPCheck(client, c.APIServerURL()+"/readyz", header, http.StatusOK, "ok")(ctx)
			}),
		component("kube-controller-manager", c.Ports.ControllerManager, c.controllerManagerArgs(pki), healthz(c.Ports.ControllerManager)),
		component("kube-scheduler", c.Ports.Scheduler, c.schedulerArgs(), healthz(c.Ports.Scheduler)),
	}
}
