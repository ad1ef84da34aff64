// Package release is the release engine as a library: it turns an environment and an artifact into
// the work of a release — publish (push a built image) or promote (copy it by digest from another
// registry), deploy to ECS and to EKS, verify, roll back — on top of the engines (pkg/image,
// pkg/ecsdeploy, pkg/helmdeploy, pkg/verify). cmd/release only parses flags, prints and maps outcomes
// to exit codes; the Dagger module talks to cmd/release through pkg/release/api.
//
// Access to an environment is built once per command (Access): AWS through awsconfig.Connect, so the
// account guard runs before any other call; the registry through one ECR login; the cluster through a
// kubeconfig or eks:DescribeCluster and a token.
package release

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/platformteam/delivery/pkg/addrmap"
	"github.com/platformteam/delivery/pkg/awsconfig"
	"github.com/platformteam/delivery/pkg/eksauth"
	"github.com/platformteam/delivery/pkg/environment"
	"github.com/platformteam/delivery/pkg/helmdeploy"
	"github.com/platformteam/delivery/pkg/image"
)

// Connection says how this process reaches an environment's services when that differs from the
// environment's own addresses (inside a container, the sandbox is reached through aliases). It never
// changes what is deployed or recorded.
type Connection struct {
	// AWSEndpoint overrides every other endpoint source (--aws-endpoint); see awsconfig.Endpoint.
	AWSEndpoint string
	// Registry is host:port of an alias of the environment's registry (--registry, RELEASE_REGISTRY).
	Registry string
	// Kubeconfig is a kubeconfig to use instead of eks:DescribeCluster (--kubeconfig).
	Kubeconfig string
	// Twin is the sandbox twin of the environment's account (--twin, or the job's): the one explicit
	// declaration that points a run, production included, at other addresses — AWS at its endpoint,
	// the account's ECR host at its registry. Everything else is the real path: credentials from the
	// SDK chain, the account guard, ECR login, DescribeCluster and an EKS token.
	Twin *environment.Twin
	// Dial maps the addresses this process dials (pkg/addrmap), e.g. the twin's loopback addresses to
	// the aliases a container reaches them under. Names (URLs, TLS names, image references) never change.
	Dial addrmap.Map
	// Getenv reads environment variables (os.Getenv when nil).
	Getenv func(string) string
}

func (c Connection) getenv(k string) string {
	if c.Getenv != nil {
		return c.Getenv(k)
	}
	return os.Getenv(k)
}

// Access reaches one environment. It is built once per command and connects lazily: a command that
// never calls AWS never loads credentials.
type Access struct {
	Env  *environment.Environment
	Conn Connection
	// Out receives progress lines (io.Discard when nil).
	Out io.Writer
	// Lock says how deploys take the deploy lock of their service or release.
	Lock LockOptions

	cfg      *aws.Config
	identity awsconfig.Identity
	registry *image.Registry
}

// NewAccess prepares access to env.
func NewAccess(env *environment.Environment, conn Connection, out io.Writer) *Access {
	if out == nil {
		out = io.Discard
	}
	return &Access{Env: env, Conn: conn, Out: out}
}

// AWS is the environment's AWS configuration, after the account guard: the first call asks STS who
// the credentials are and refuses any account but the environment's, before any other call.
func (a *Access) AWS(ctx context.Context) (aws.Config, error) {
	if a.cfg != nil {
		return *a.cfg, nil
	}
	cfg, id, err := awsconfig.Connect(ctx, a.Env, awsconfig.Options{Endpoint: a.Conn.AWSEndpoint, Getenv: a.Conn.Getenv, Twin: a.Conn.Twin, Dial: a.dial()})
	if err != nil {
		return aws.Config{}, err
	}
	if a.Conn.Twin != nil {
		fmt.Fprintf(a.Out, "twin account: AWS at %s, ECR %s at %s (declared by the sandbox)\n", a.Conn.Twin.AWS, a.Conn.Twin.ECRHost, a.Conn.Twin.Registry)
	}
	fmt.Fprintf(a.Out, "AWS: %s in account %s (environment %s, %s)\n", id.ARN, id.Account, a.Env.Name, cfg.Region)
	a.cfg, a.identity = &cfg, id
	return cfg, nil
}

// dial is the connection's address map with the twin's routes (its ECR host → its registry).
func (a *Access) dial() addrmap.Map {
	if a.Conn.Twin == nil {
		return a.Conn.Dial
	}
	return a.Conn.Twin.Routes().With(a.Conn.Dial)
}

// Identity is who the credentials are (empty before the first AWS call).
func (a *Access) Identity() awsconfig.Identity { return a.identity }

// RegistryHost is the canonical host of the environment's registry, the one written into artifacts
// and deployed: endpoints.registry for the local sandbox, else the account's ECR registry
// <account_id>.dkr.ecr.<region>.amazonaws.com (region after overrides).
func RegistryHost(env *environment.Environment) string {
	if env.Endpoints.Registry != "" {
		return env.Endpoints.Registry
	}
	host := fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com", env.AccountID, env.Region)
	if strings.HasPrefix(env.Region, "cn-") {
		host += ".cn"
	}
	return host
}

// Repository is the environment's image repository, <registry host>/<image.repository>.
func Repository(env *environment.Environment) string {
	return RegistryHost(env) + "/" + env.Image.Repository
}

// Registry is how to reach the environment's registry: the sandbox registry (plain HTTP, no auth,
// possibly through an alias), or the account's ECR, logged in once with the same credential chain as
// every other call (ecr:GetAuthorizationToken). This is the only ECR login of the pipeline.
func (a *Access) Registry(ctx context.Context) (image.Registry, error) {
	if a.registry != nil {
		return *a.registry, nil
	}
	var reg image.Registry
	var err error
	if a.Env.Endpoints.Registry != "" {
		host := a.Env.Endpoints.Registry
		if a.Conn.Registry != "" {
			host = a.Conn.Registry
		}
		if reg, err = image.Plain(host); err != nil {
			return image.Registry{}, fmt.Errorf("registry of environment %s: %w", a.Env.Name, err)
		}
	} else {
		cfg, err := a.AWS(ctx)
		if err != nil {
			return image.Registry{}, err
		}
		if reg, err = image.ECR(ctx, ecr.NewFromConfig(cfg)); err != nil {
			return image.Registry{}, err
		}
		if a.Conn.Registry != "" {
			reg.Host = a.Conn.Registry
		}
		if reg.Transport, err = a.dial().Transport(image.DefaultTransport); err != nil {
			return image.Registry{}, err
		}
		fmt.Fprintf(a.Out, "ECR: logged in to %s\n", reg.Host)
	}
	a.registry = &reg
	return reg, nil
}

// explainCluster turns the cluster's 401 to an EKS token into an error naming the principal and the
// fix (eksauth.ExplainUnauthorized); other errors, and kubeconfig access, are returned unchanged.
func (a *Access) explainCluster(ctx context.Context, err error) error {
	if err == nil || a.KubeconfigPath() != "" || a.cfg == nil {
		return err
	}
	return eksauth.ExplainUnauthorized(ctx, sts.NewFromConfig(*a.cfg), a.Env.EKS.Cluster, err)
}

// KubeconfigPath is the kubeconfig used instead of EKS: --kubeconfig, endpoints.kubeconfig, or
// KUBECONFIG for local environments. Empty means eks:DescribeCluster and a generated token.
func (a *Access) KubeconfigPath() string {
	switch {
	case a.Conn.Kubeconfig != "":
		return a.Conn.Kubeconfig
	case a.Env.Endpoints.Kubeconfig != "":
		return filepath.Join(a.Env.Root, a.Env.Endpoints.Kubeconfig)
	case a.Env.Local():
		return a.Conn.getenv("KUBECONFIG")
	}
	return ""
}

// Cluster is Helm's access to the environment's cluster: a kubeconfig, or eks:DescribeCluster with a
// token made from the same credentials (refreshed before it expires, so long waits keep working).
func (a *Access) Cluster(ctx context.Context) (*helmdeploy.ClusterAccess, error) {
	if path := a.KubeconfigPath(); path != "" {
		access, err := helmdeploy.FromKubeconfig(path, a.Env.EKS.Namespace)
		if err == nil && len(a.dial()) > 0 {
			access.Dial = a.dial().Dial(nil)
		}
		return access, err
	}
	cfg, err := a.AWS(ctx)
	if err != nil {
		return nil, err
	}
	kc, tok, err := eksauth.Kubeconfig(ctx, cfg, eks.NewFromConfig(cfg), a.Env.EKS.Cluster)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(a.Out, "EKS cluster %s: token valid until %s\n", a.Env.EKS.Cluster, tok.Expiration.Format(time.RFC3339))
	access := helmdeploy.FromConfig(kc, a.Env.EKS.Namespace).WithRefreshingToken(func(ctx context.Context) (string, time.Time, error) {
		t, err := eksauth.NewToken(ctx, cfg, a.Env.EKS.Cluster, time.Now())
		return t.Value, t.Expiration, err
	})
	access.Source = "EKS cluster " + a.Env.EKS.Cluster
	if len(a.dial()) > 0 {
		access.Dial = a.dial().Dial(nil)
	}
	return access, nil
}
