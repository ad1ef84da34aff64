package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"

	"github.com/platformteam/delivery/pkg/artifact"
	"github.com/platformteam/delivery/pkg/awsconfig"
	"github.com/platformteam/delivery/pkg/environment"
	"github.com/platformteam/delivery/pkg/image"
)

// RegistryEnv is the environment variable equivalent of --registry.
const RegistryEnv = "RELEASE_REGISTRY"

// common holds the flags every command shares.
type common struct {
	fs           *flag.FlagSet
	env          string
	root         string
	json         bool
	artifactPath string
	awsEndpoint  string
	registry     string
	kubeconfig   string
	timeout      time.Duration
	// envOptional is set by commands that do not read delivery.yaml.
	envOptional bool
}

func newFlags(name string) *common {
	c := &common{fs: flag.NewFlagSet("release "+name, flag.ContinueOnError)}
	c.fs.SetOutput(os.Stderr)
	c.fs.StringVar(&c.env, "env", "", "environment name (environments/<env>/delivery.yaml) [required]")
	c.fs.StringVar(&c.root, "root", ".", "repository root")
	c.fs.BoolVar(&c.json, "json", false, "print the result as JSON on stdout (shapes in docs/release-engine.md)")
	c.fs.StringVar(&c.artifactPath, "artifact", artifact.DefaultPath, "path of artifact.json")
	c.fs.StringVar(&c.awsEndpoint, "aws-endpoint", "", "AWS base endpoint (default: AWS_ENDPOINT_URL, then endpoints.aws)")
	c.fs.StringVar(&c.registry, "registry", "", "reach the image registry at this host:port instead (an alias of the same registry; env "+RegistryEnv+")")
	return c
}

func (c *common) withKubeconfig() *common {
	c.fs.StringVar(&c.kubeconfig, "kubeconfig", "", "kubeconfig to use instead of eks:DescribeCluster (default: endpoints.kubeconfig, then KUBECONFIG for local environments)")
	return c
}

func (c *common) withTimeout(help string) *common {
	c.fs.DurationVar(&c.timeout, "timeout", 0, help)
	return c
}

func (c *common) parse(args []string) error {
	if err := c.fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return err
		}
		return withCode(exitUsage, err)
	}
	if c.fs.NArg() > 0 {
		return usageError("unexpected arguments: %s", strings.Join(c.fs.Args(), " "))
	}
	if c.env == "" && !c.envOptional {
		return usageError("--env is required")
	}
	if c.registry == "" {
		c.registry = os.Getenv(RegistryEnv)
	}
	return nil
}

func (c *common) environment() (*environment.Environment, error) {
	return environment.Load(c.root, c.env)
}

func (c *common) aws(ctx context.Context, env *environment.Environment) (aws.Config, error) {
	cfg, err := awsconfig.Load(ctx, env, awsconfig.Options{Endpoint: c.awsEndpoint})
	if err != nil {
		return aws.Config{}, err
	}
	if err := awsconfig.CheckCredentials(ctx, cfg); err != nil {
		return aws.Config{}, err
	}
	return cfg, nil
}

// imageRegistry returns how to reach the environment's registry and the canonical repository reference
// (the one written into artifacts and deployed). Local environments use endpoints.registry (plain HTTP,
// no auth); real ones log in to ECR and take the host from the token's proxy endpoint.
func (c *common) imageRegistry(ctx context.Context, env *environment.Environment) (image.Registry, string, error) {
	if env.Endpoints.Registry != "" {
		reg, err := image.Plain(env.Endpoints.Registry)
		if err != nil {
			return image.Registry{}, "", fmt.Errorf("endpoints.registry: %w", err)
		}
		canonical := reg.Host + "/" + env.Image.Repository
		if c.registry != "" {
			if reg, err = image.Plain(c.registry); err != nil {
				return image.Registry{}, "", fmt.Errorf("--registry: %w", err)
			}
		}
		return reg, canonical, nil
	}
	cfg, err := c.aws(ctx, env)
	if err != nil {
		return image.Registry{}, "", err
	}
	reg, err := image.ECR(ctx, ecr.NewFromConfig(cfg))
	if err != nil {
		return image.Registry{}, "", err
	}
	canonical := reg.Host + "/" + env.Image.Repository
	if c.registry != "" {
		reg.Host = c.registry
	}
	return reg, canonical, nil
}

// kubeconfigPath is the kubeconfig for a local environment: --kubeconfig, endpoints.kubeconfig, KUBECONFIG.
// Empty means "use EKS" (eks:DescribeCluster + a generated token).
func (c *common) kubeconfigPath(env *environment.Environment) string {
	switch {
	case c.kubeconfig != "":
		return c.kubeconfig
	case env.Endpoints.Kubeconfig != "":
		return filepath.Join(env.Root, env.Endpoints.Kubeconfig)
	case env.Local():
		return os.Getenv("KUBECONFIG")
	}
	return ""
}

// emit prints the result: JSON on stdout with --json, else the human lines.
func (c *common) emit(result any, human func(io.Writer)) error {
	if c.json {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(result)
	}
	human(os.Stdout)
	return nil
}

func (c *common) readArtifact() (*artifact.Artifact, error) {
	return artifact.Read(c.artifactPath)
}
