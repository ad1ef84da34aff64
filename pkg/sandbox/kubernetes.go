package sandbox

import (
	"context"
	"fmt"
	"net/http"
	"os/exec"
	"strconv"
	"time"
)

// ServiceCIDR is the cluster's service IP range (the API server's own service takes its first IP).
const ServiceCIDR = "10.96.0.0/16"

func apiServerArgs(pki kubePKI) []string {
	return []string{
		"kube-apiserver",
		"--etcd-servers=" + EtcdURL(),
		"--bind-address=" + Host,
		"--advertise-address=" + Host,
		"--secure-port=" + strconv.Itoa(APIServerPort),
		"--tls-cert-file=" + pki.ServerCert(),
		"--tls-private-key-file=" + pki.ServerKey(),
		"--client-ca-file=" + pki.CACert(),
		"--token-auth-file=" + pki.TokenFile(),
		"--authorization-mode=RBAC",
		"--anonymous-auth=false",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + pki.SAPub(),
		"--service-account-signing-key-file=" + pki.SAKey(),
		"--service-cluster-ip-range=" + ServiceCIDR,
		"--allow-privileged=true",
		// A loopback advertise address cannot be reconciled into the kubernetes Endpoints object.
		"--endpoint-reconciler-type=none",
		// Without a kubelet nothing removes the not-ready taint this plugin puts on new nodes.
		"--disable-admission-plugins=TaintNodesByCondition",
		"--enable-priority-and-fairness=false",
		"--profiling=false",
		"--v=1",
	}
}

func controllerManagerArgs(l Layout, pki kubePKI) []string {
	kubeconfig := kubeconfigPath(l, "kube-controller-manager")
	return []string{
		"kube-controller-manager",
		"--kubeconfig=" + kubeconfig,
		"--authentication-kubeconfig=" + kubeconfig,
		"--authorization-kubeconfig=" + kubeconfig,
		"--bind-address=" + Host,
		"--secure-port=" + strconv.Itoa(ControllerMgrPort),
		"--leader-elect=false",
		// Only what Deployments, Jobs, namespaces and service accounts need: no node lifecycle
		// (kwok keeps nodes Ready), no cloud, no volumes.
		"--controllers=deployment-controller,replicaset-controller,job-controller,serviceaccount-controller,serviceaccount-token-controller,garbage-collector-controller,namespace-controller",
		"--service-account-private-key-file=" + pki.SAKey(),
		"--root-ca-file=" + pki.CACert(),
		"--use-service-account-credentials=true",
		"--profiling=false",
		"--v=1",
	}
}

func schedulerArgs(l Layout) []string {
	kubeconfig := kubeconfigPath(l, "kube-scheduler")
	return []string{
		"kube-scheduler",
		"--kubeconfig=" + kubeconfig,
		"--authentication-kubeconfig=" + kubeconfig,
		"--authorization-kubeconfig=" + kubeconfig,
		"--bind-address=" + Host,
		"--secure-port=" + strconv.Itoa(SchedulerPort),
		"--leader-elect=false",
		"--profiling=false",
		"--v=1",
	}
}

func kubeServices(l Layout, binary string, pki kubePKI) []service {
	adminTokenHeader := func() (http.Header, error) {
		tokens, err := pki.tokens()
		if err != nil {
			return nil, err
		}
		return http.Header{"Authorization": {"Bearer " + tokens["admin"]}}, nil
	}
	component := func(name string, port int, args func() []string, ready func(ctx context.Context) error) service {
		files := []string{pki.CACert(), pki.TokenFile(), pki.SAPub(), pki.ServerCert()}
		switch name {
		case "kube-controller-manager":
			files = []string{pki.CACert(), pki.SAKey(), kubeconfigPath(l, name)}
		case "kube-scheduler":
			files = []string{pki.CACert(), kubeconfigPath(l, name)}
		}
		return service{
			name: name, version: KubernetesVersion, ports: []int{port}, configFiles: files,
			readyTimeout: 90 * time.Second, stopGrace: 20 * time.Second,
			command: func() (*exec.Cmd, error) { return exec.Command(binary, args()...), nil },
			ready:   ready,
		}
	}
	healthz := func(port int) func(ctx context.Context) error {
		return func(ctx context.Context) error {
			return httpProbe(ctx, insecureLoopbackClient, fmt.Sprintf("https://%s:%d/healthz", Host, port), nil, http.StatusOK, "ok")
		}
	}
	return []service{
		component("kube-apiserver", APIServerPort, func() []string { return apiServerArgs(pki) },
			func(ctx context.Context) error {
				client, err := tlsClient(pki.CACert())
				if err != nil {
					return err
				}
				header, err := adminTokenHeader()
				if err != nil {
					return err
				}
				return httpProbe(ctx, client, APIServerURL()+"/readyz", header, http.StatusOK, "ok")
			}),
		component("kube-controller-manager", ControllerMgrPort, func() []string { return controllerManagerArgs(l, pki) }, healthz(ControllerMgrPort)),
		component("kube-scheduler", SchedulerPort, func() []string { return schedulerArgs(l) }, healthz(SchedulerPort)),
	}
}
