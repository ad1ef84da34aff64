// Package kubetwin runs what the sandbox adds around its Kubernetes API servers so they behave like
// EKS clusters, in one process (cmd/kube-twin): for each cluster a fault proxy in front of its API
// server (the endpoint DescribeCluster reports; it can hang on demand) and the kubelet stand-in
// (kubeagent: image pulls and imageIDs, environment references, access policy RBAC bindings) and,
// where configured, the External Secrets Operator stand-in (externalsecrets). A
// control API serves the faults and the agents' health.
package kubetwin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awscreds "github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/google/go-containerregistry/pkg/authn"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/platformteam/delivery/internal/sandbox/externalsecrets"
	"github.com/platformteam/delivery/internal/sandbox/faultproxy"
	"github.com/platformteam/delivery/internal/sandbox/kubeagent"
)

// Config is what `sandbox up` writes for the process (a typed contract between the two).
type Config struct {
	// Control is the listen address of the control API (faults and health).
	Control  string          `json:"control"`
	Clusters []ClusterConfig `json:"clusters"`
}

// ClusterConfig is one cluster.
type ClusterConfig struct {
	Name string `json:"name"`
	// Kubeconfig is the admin kubeconfig, pointing at the API server itself (not the proxy).
	Kubeconfig string `json:"kubeconfig"`
	// APIServer is the API server's host:port; ProxyListen the proxy's (what DescribeCluster reports).
	APIServer   string `json:"apiServer"`
	ProxyListen string `json:"proxyListen"`
	// StrictPulls fails the pull of an image the registry cannot serve (twin clusters, as EKS).
	StrictPulls bool `json:"strictPulls"`
	// RegistryHosts maps the accounts' ECR hosts to the twin registries serving them (host:port).
	RegistryHosts map[string]string `json:"registryHosts,omitempty"`
	// NodeIdentity, when set, is the AWS identity the cluster's nodes pull images with: the agent
	// logs in to the account's registry through ecr:GetAuthorizationToken, as the kubelet's ECR
	// credential provider does. Without it images are pulled anonymously.
	NodeIdentity *AWSIdentity `json:"nodeIdentity,omitempty"`
	// ExternalSecretsIdentity, when set, runs the External Secrets Operator stand-in
	// (internal/sandbox/externalsecrets), reading Secrets Manager and Parameter Store as this identity.
	ExternalSecretsIdentity *AWSIdentity `json:"externalSecretsIdentity,omitempty"`
}

// AWSIdentity is an AWS endpoint and credentials (the config file is 0600 for it).
type AWSIdentity struct {
	Endpoint        string `json:"endpoint"`
	Region          string `json:"region"`
	AccessKeyID     string `json:"accessKeyId"`
	SecretAccessKey string `json:"secretAccessKey"`
	SessionToken    string `json:"sessionToken,omitempty"`
}

// config is an SDK configuration for the identity.
func (id AWSIdentity) config() aws.Config {
	return aws.Config{
		Region: id.Region, BaseEndpoint: aws.String(id.Endpoint),
		Credentials: awscreds.NewStaticCredentialsProvider(id.AccessKeyID, id.SecretAccessKey, id.SessionToken),
	}
}

// keychain is the cluster's registry login.
func (c ClusterConfig) keychain() authn.Keychain {
	if c.NodeIdentity == nil {
		return nil
	}
	return &kubeagent.ECRKeychain{API: ecr.NewFromConfig(c.NodeIdentity.config())}
}

// runner is one controller of a cluster, restarted while its API server is not up.
type runner struct {
	name string
	run  func(context.Context) error
}

// ReadConfig reads the config file.
func ReadConfig(path string) (Config, error) {
	var c Config
	data, err := os.ReadFile(path)
	if err != nil {
		return c, fmt.Errorf("read the kube twin config (written by `sandbox up`): %w", err)
	}
	if err := json.Unmarshal(data, &c); err != nil {
		return c, fmt.Errorf("kube twin config %s: %w", path, err)
	}
	return c, c.validate()
}

func (c Config) validate() error {
	if c.Control == "" || len(c.Clusters) == 0 {
		return errors.New("kube twin config: control address and at least one cluster are required")
	}
	seen := map[string]bool{}
	for _, cl := range c.Clusters {
		if cl.Name == "" || cl.Kubeconfig == "" || cl.APIServer == "" || cl.ProxyListen == "" {
			return fmt.Errorf("kube twin config: cluster %q needs name, kubeconfig, apiServer and proxyListen", cl.Name)
		}
		if seen[cl.Name] {
			return fmt.Errorf("kube twin config: cluster %s twice", cl.Name)
		}
		seen[cl.Name] = true
	}
	return nil
}

// HealthPath serves each cluster agent's state: GET → map of cluster name to Health.
const HealthPath = "/_twin/kube/health"

// Health is one cluster agent's state.
type Health struct {
	Watching bool   `json:"watching"`
	Detail   string `json:"detail,omitempty"`
}

type healthBoard struct {
	mu sync.Mutex
	m  map[string]Health
}

func (b *healthBoard) set(name string, h Health) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.m[name] = h
}

func (b *healthBoard) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	b.mu.Lock()
	defer b.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(b.m)
}

// Run serves until ctx ends. It fails at once when a port is taken or a kubeconfig is unusable.
func Run(ctx context.Context, cfg Config, log io.Writer) error {
	if err := cfg.validate(); err != nil {
		return err
	}
	proxies := map[string]*faultproxy.Proxy{}
	defer func() {
		for _, p := range proxies {
			p.Close()
		}
	}()
	board := &healthBoard{m: map[string]Health{}}
	var runners []runner
	for _, cl := range cfg.Clusters {
		p, err := faultproxy.Listen(cl.ProxyListen, cl.APIServer)
		if err != nil {
			return err
		}
		proxies[cl.Name] = p
		rest, err := clientcmd.BuildConfigFromFlags("", cl.Kubeconfig)
		if err != nil {
			return fmt.Errorf("cluster %s: load kubeconfig %s: %w", cl.Name, cl.Kubeconfig, err)
		}
		rest.Timeout = 30 * time.Second
		rest.QPS, rest.Burst = 50, 100
		client, err := kubernetes.NewForConfig(rest)
		if err != nil {
			return fmt.Errorf("cluster %s: %w", cl.Name, err)
		}
		watching := func(name string) func() { return func() { board.set(name, Health{Watching: true}) } }
		agent := &kubeagent.ClusterAgent{
			Name: cl.Name, Client: client, Strict: cl.StrictPulls,
			Resolver: kubeagent.RegistryResolver{Keychain: cl.keychain(), Hosts: cl.RegistryHosts}, Log: log, Watching: watching(cl.Name),
		}
		runners = append(runners, runner{cl.Name, agent.Run})
		board.set(cl.Name, Health{Detail: "starting"})
		if id := cl.ExternalSecretsIdentity; id != nil {
			dyn, err := dynamic.NewForConfig(rest)
			if err != nil {
				return fmt.Errorf("cluster %s: %w", cl.Name, err)
			}
			eso := &externalsecrets.Controller{Name: cl.Name, Dynamic: dyn, Client: client, Provider: externalsecrets.AWSProvider{Config: id.config()},
				Log: log, Watching: watching(cl.Name + "/external-secrets")}
			runners = append(runners, runner{cl.Name + "/external-secrets", eso.Run})
			board.set(cl.Name+"/external-secrets", Health{Detail: "starting"})
		}
	}

	mux := http.NewServeMux()
	mux.Handle(faultproxy.ControlPath, &faultproxy.Control{Proxies: proxies})
	mux.Handle(HealthPath, board)
	ln, err := net.Listen("tcp", cfg.Control)
	if err != nil {
		return fmt.Errorf("kube twin control API: listen on %s: %w", cfg.Control, err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()

	var names []string
	for n, p := range proxies {
		names = append(names, fmt.Sprintf("%s %s → %s", n, p.Addr(), p.Target()))
	}
	sort.Strings(names)
	fmt.Fprintf(log, "kube-twin: control %s; proxies: %v\n", ln.Addr(), names)

	var wg sync.WaitGroup
	for _, r := range runners {
		wg.Go(func() {
			// An API server that is not up yet (or restarts) only delays its controllers.
			for ctx.Err() == nil {
				if err := r.run(ctx); err != nil {
					board.set(r.name, Health{Detail: err.Error()})
					fmt.Fprintf(log, "%s: %v (retrying in 2s)\n", r.name, err)
					select {
					case <-ctx.Done():
					case <-time.After(2 * time.Second):
					}
				}
			}
		})
	}
	wg.Wait()
	return nil
}
