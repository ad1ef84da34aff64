// Package environment loads and validates environments/<env>/delivery.yaml, the one file that tells every
// pipeline step (stack engine, release engine, Dagger module) where an environment's things are.
//
// Terraform-specific overlays (backend.hcl, *.tfvars) live beside it and are read by the stack engine;
// this package only checks that backend.hcl exists so a bad environment fails before anything runs.
package environment

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"sigs.k8s.io/yaml"
)

// FileName is the per-environment pipeline configuration file inside environments/<env>/.
const FileName = "delivery.yaml"

// Default base images (official references, resolved by whatever registry configuration the engine has).
const (
	DefaultGoImage        = "golang:1.26-bookworm"
	DefaultRuntimeImage   = "scratch"
	DefaultToolsImage     = "debian:bookworm-slim"
	DefaultTerraformImage = "hashicorp/terraform:1.11"
)

// Dir is the directory holding one folder per environment, relative to the repository root.
const Dir = "environments"

// Environment is the parsed delivery.yaml of one environment.
type Environment struct {
	// Name is the folder name under environments/ (filled by Load, must match `name` when set in the file).
	Name string `json:"name"`
	// Root is the absolute repository root the environment was loaded from (filled by Load).
	Root string `json:"-"`

	AccountID string `json:"account_id"`
	Region    string `json:"region"`
	// Production environments require an approval before apply/deploy (GitHub environment reviewers).
	Production bool `json:"production,omitempty"`

	Terraform Terraform `json:"terraform"`
	Image     Image     `json:"image"`
	ECS       ECS       `json:"ecs"`
	EKS       EKS       `json:"eks"`
	// Images are the base images the pipeline's containers start from (see Images).
	Images Images `json:"images,omitempty"`
	// Endpoints override AWS and registry addresses; set only for the local sandbox.
	Endpoints Endpoints `json:"endpoints,omitempty"`
	// Signing is the key publish signs with and the trust policy of the deploy gate (docs/supply-chain.md).
	Signing Signing `json:"signing,omitempty"`
}

// Signing is an environment's supply-chain settings: which KMS key signs what it publishes, and which
// keys and builders its deploy gate trusts. Every deploy verifies the digest against this policy first.
type Signing struct {
	// Key is the KMS key (alias name, alias ARN or key ARN) publish signs with: the environment's signing
	// key (stacks/shared/signing). Default: alias/<image.repository>-<name>-signing.
	Key string `json:"key,omitempty"`
	// Trust lists the keys whose signatures the deploy gate accepts. Default: Key alone. A production
	// environment that deploys what staging built trusts staging's key here (by alias ARN or key ARN).
	Trust []TrustedKey `json:"trust,omitempty"`
	// Builders are the provenance builder ids the gate accepts. Default: this pipeline's Dagger module.
	Builders []string `json:"builders,omitempty"`
}

// TrustedKey is one key of a trust policy: a KMS key (its public half is read with kms:GetPublicKey;
// another account's key by key ARN or alias ARN, which its key policy must allow) or a PEM public key
// file committed in the repository. Exactly one of the two.
type TrustedKey struct {
	KMS string `json:"kms,omitempty"`
	// PublicKey is a PEM file relative to the repository root (what `cosign public-key` prints).
	PublicKey string `json:"public_key,omitempty"`
}

// String names the key as the trust policy does.
func (k TrustedKey) String() string {
	if k.KMS != "" {
		return "kms " + k.KMS
	}
	return "public key " + k.PublicKey
}

// Images are the references of the base images the Dagger pipeline starts its containers from.
// Defaults are plain official references; the local environment points them at images the sandbox
// builds and serves from its own registry, since nothing can be pulled there.
type Images struct {
	// Go is the Go toolchain image used to build the app and the pipeline's own tools.
	Go string `json:"go,omitempty"`
	// Runtime is the base of the app image ("scratch" needs no pull).
	Runtime string `json:"runtime,omitempty"`
	// Tools is the base the pipeline's tool container (terraform + CLIs) is assembled on.
	Tools string `json:"tools,omitempty"`
	// Terraform is an image holding the terraform (or tofu) binary at /bin/<terraform.binary>.
	Terraform string `json:"terraform,omitempty"`
}

// Terraform says how the stack engine runs this environment.
type Terraform struct {
	// Binary is "terraform" or "tofu" (default "terraform"); the TF_BINARY env var overrides it.
	Binary string `json:"binary,omitempty"`
	// StacksRoot is the blueprint root (holding modules/ and stacks/) relative to the repository root.
	// Default "."; the local environment points it at provider-free stand-ins of the real stacks.
	StacksRoot string `json:"stacks_root,omitempty"`
	// Parallelism caps concurrent stacks per wave (default 4).
	Parallelism int `json:"parallelism,omitempty"`
}

// Image names the one image a build produces.
type Image struct {
	// Repository is the ECR repository name (not URI), e.g. "demo-app".
	Repository string `json:"repository"`
	// Context is the build context relative to the repository root (default "app").
	Context string `json:"context,omitempty"`
}

// ECS names the service the ECS deploy updates.
type ECS struct {
	Cluster string `json:"cluster"`
	Service string `json:"service"`
	// Container is the container whose image is replaced (default: the first container).
	Container string `json:"container,omitempty"`
	// Timeout bounds the rollout wait (Go duration, default 10m).
	Timeout Duration `json:"timeout,omitempty"`
	// Deployment is the deployment strategy (rolling, blue/green, linear, canary) and its settings.
	Deployment ECSDeployment `json:"deployment,omitempty"`
}

// EKS names the cluster and Helm release the EKS deploy upgrades.
type EKS struct {
	Cluster   string `json:"cluster"`
	Namespace string `json:"namespace"`
	Release   string `json:"release"`
	// Chart is the chart directory relative to the repository root.
	Chart string `json:"chart"`
	// ValuesFiles are applied in order, relative to the repository root.
	ValuesFiles []string `json:"values_files,omitempty"`
	// Timeout bounds Helm's wait (Go duration, default 5m).
	Timeout Duration `json:"timeout,omitempty"`
}

// Endpoints override service addresses (local sandbox only). Empty means real AWS.
type Endpoints struct {
	// AWS is the base endpoint URL for every AWS API (moto), e.g. http://127.0.0.1:4566.
	AWS string `json:"aws,omitempty"`
	// Registry is a plain-HTTP OCI registry host:port used instead of ECR's registry.
	Registry string `json:"registry,omitempty"`
	// Kubeconfig is a kubeconfig path (relative to the repository root) used instead of eks:DescribeCluster.
	Kubeconfig string `json:"kubeconfig,omitempty"`
}

// Duration is a time.Duration written as a Go duration string ("90s", "5m").
type Duration struct{ time.Duration }

// UnmarshalJSON parses a Go duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "" || s == "null" {
		d.Duration = 0
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("invalid duration %q (use Go syntax such as 90s or 5m): %w", s, err)
	}
	d.Duration = v
	return nil
}

// MarshalJSON writes the duration as a Go duration string.
func (d Duration) MarshalJSON() ([]byte, error) { return []byte(`"` + d.Duration.String() + `"`), nil }

// Names lists the environments under root/environments that have a delivery.yaml, sorted.
func Names(root string) ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(root, Dir))
	if err != nil {
		return nil, fmt.Errorf("list environments in %s: %w", filepath.Join(root, Dir), err)
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		if _, err := os.Stat(filepath.Join(root, Dir, e.Name(), FileName)); err == nil {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names, nil
}

var nameRE = regexp.MustCompile(`^[a-z][a-z0-9-]{0,31}$`)

// Load reads and validates environments/<name>/delivery.yaml under root.
func Load(root, name string) (*Environment, error) {
	absRoot, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("resolve repository root %q: %w", root, err)
	}
	if err := CheckName(name); err != nil {
		return nil, err
	}
	raw, err := os.ReadFile(filepath.Join(absRoot, Dir, name, FileName))
	if errors.Is(err, os.ErrNotExist) {
		known, _ := Names(absRoot)
		return nil, Unknown(name, known)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", filepath.Join(Dir, name, FileName), err)
	}
	var files []string
	if entries, err := os.ReadDir(filepath.Join(absRoot, Dir, name)); err == nil {
		for _, e := range entries {
			files = append(files, e.Name())
		}
	}
	env, err := FromFolder(name, raw, files)
	if err != nil {
		return nil, err
	}
	env.Root = absRoot
	return env, nil
}

// CheckName rejects names that cannot be an environment folder.
func CheckName(name string) error {
	if !nameRE.MatchString(name) {
		return fmt.Errorf("environment name %q is invalid: use lower-case letters, digits and dashes", name)
	}
	return nil
}

// Unknown is the error for an environment that does not exist, listing the ones that do.
func Unknown(name string, known []string) error {
	return fmt.Errorf("unknown environment %q: %s not found (known environments: %s)",
		name, filepath.Join(Dir, name, FileName), strings.Join(known, ", "))
}

// FromFolder validates one environment folder from its delivery.yaml content and the names of the files
// in it, for callers that do not read a local filesystem (the Dagger module reads a Directory).
func FromFolder(name string, deliveryYAML []byte, files []string) (*Environment, error) {
	if err := CheckName(name); err != nil {
		return nil, err
	}
	rel := filepath.Join(Dir, name, FileName)
	env, err := Parse(deliveryYAML)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", rel, err)
	}
	if env.Name != "" && env.Name != name {
		return nil, fmt.Errorf("%s: name %q does not match its folder %q", rel, env.Name, name)
	}
	env.Name = name
	env.applyDefaults() // defaults derived from the name (signing.key) when the file does not set it
	hasBackend := false
	for _, f := range files {
		if f == "backend.hcl" {
			hasBackend = true
		}
	}
	if !hasBackend {
		return nil, fmt.Errorf("environment %q has no backend.hcl: create %s with the state bucket, region and lock settings",
			name, filepath.Join(Dir, name, "backend.hcl"))
	}
	return env, nil
}

// Parse decodes delivery.yaml content strictly (unknown keys are errors), applies defaults and validates.
func Parse(raw []byte) (*Environment, error) {
	var env Environment
	if err := yaml.UnmarshalStrict(raw, &env); err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	env.applyDefaults()
	if err := env.Validate(); err != nil {
		return nil, err
	}
	return &env, nil
}

func (e *Environment) applyDefaults() {
	if e.Terraform.Binary == "" {
		e.Terraform.Binary = "terraform"
	}
	if e.Terraform.StacksRoot == "" {
		e.Terraform.StacksRoot = "."
	}
	if e.Terraform.Parallelism == 0 {
		e.Terraform.Parallelism = 4
	}
	if e.Image.Context == "" {
		e.Image.Context = "app"
	}
	if e.Images.Go == "" {
		e.Images.Go = DefaultGoImage
	}
	if e.Images.Runtime == "" {
		e.Images.Runtime = DefaultRuntimeImage
	}
	if e.Images.Tools == "" {
		e.Images.Tools = DefaultToolsImage
	}
	if e.Images.Terraform == "" {
		e.Images.Terraform = DefaultTerraformImage
	}
	if e.ECS.Timeout.Duration == 0 {
		e.ECS.Timeout.Duration = 10 * time.Minute
	}
	if e.EKS.Timeout.Duration == 0 {
		e.EKS.Timeout.Duration = 5 * time.Minute
	}
	if e.Signing.Key == "" && e.Image.Repository != "" && e.Name != "" {
		e.Signing.Key = SigningKeyAlias(e.Image.Repository, e.Name)
	}
	if len(e.Signing.Trust) == 0 && e.Signing.Key != "" {
		e.Signing.Trust = []TrustedKey{{KMS: e.Signing.Key}}
	}
}

// SigningKeyAlias is the alias the Terraform gives an environment's signing key (stacks/shared/signing).
func SigningKeyAlias(repository, env string) string {
	return "alias/" + repository + "-" + env + "-signing"
}

var kmsKeyRE = regexp.MustCompile(`^(alias/[A-Za-z0-9/_-]+|[0-9a-f-]{36}|arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:(alias/[A-Za-z0-9/_-]+|key/[0-9a-f-]{36}))$`)

func (s Signing) validate() []error {
	var errs []error
	if s.Key != "" && !kmsKeyRE.MatchString(s.Key) {
		errs = append(errs, fmt.Errorf("signing.key %q is not a KMS key id, key ARN, alias name (alias/...) or alias ARN", s.Key))
	}
	for i, k := range s.Trust {
		switch {
		case (k.KMS == "") == (k.PublicKey == ""):
			errs = append(errs, fmt.Errorf("signing.trust[%d]: set exactly one of kms and public_key", i))
		case k.KMS != "" && !kmsKeyRE.MatchString(k.KMS):
			errs = append(errs, fmt.Errorf("signing.trust[%d].kms %q is not a KMS key id, key ARN, alias name or alias ARN", i, k.KMS))
		case k.PublicKey != "" && (filepath.IsAbs(k.PublicKey) || strings.HasPrefix(filepath.Clean(k.PublicKey), "..")):
			errs = append(errs, fmt.Errorf("signing.trust[%d].public_key %q must be relative to the repository root and stay inside it", i, k.PublicKey))
		}
	}
	for i, b := range s.Builders {
		if !strings.Contains(b, "://") {
			errs = append(errs, fmt.Errorf("signing.builders[%d] %q is not a builder id URI", i, b))
		}
	}
	return errs
}

var (
	accountRE = regexp.MustCompile(`^[0-9]{12}$`)
	regionRE  = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]$`)
)

// Validate reports every problem in the environment at once.
func (e *Environment) Validate() error {
	var errs []error
	need := func(v, field string) {
		if strings.TrimSpace(v) == "" {
			errs = append(errs, fmt.Errorf("%s is required", field))
		}
	}
	if !accountRE.MatchString(e.AccountID) {
		errs = append(errs, fmt.Errorf("account_id %q must be 12 digits (quote it in YAML)", e.AccountID))
	}
	if !regionRE.MatchString(e.Region) {
		errs = append(errs, fmt.Errorf("region %q is not an AWS region name such as ap-southeast-2", e.Region))
	}
	switch e.Terraform.Binary {
	case "terraform", "tofu":
	default:
		errs = append(errs, fmt.Errorf("terraform.binary %q must be terraform or tofu", e.Terraform.Binary))
	}
	if e.Terraform.Parallelism < 1 {
		errs = append(errs, fmt.Errorf("terraform.parallelism must be at least 1"))
	}
	need(e.Image.Repository, "image.repository")
	need(e.ECS.Cluster, "ecs.cluster")
	need(e.ECS.Service, "ecs.service")
	need(e.EKS.Cluster, "eks.cluster")
	need(e.EKS.Namespace, "eks.namespace")
	need(e.EKS.Release, "eks.release")
	need(e.EKS.Chart, "eks.chart")
	for _, p := range append([]string{e.Terraform.StacksRoot, e.Image.Context, e.EKS.Chart, e.Endpoints.Kubeconfig}, e.EKS.ValuesFiles...) {
		if filepath.IsAbs(p) || strings.HasPrefix(filepath.Clean(p), "..") {
			errs = append(errs, fmt.Errorf("path %q must be relative to the repository root and stay inside it", p))
		}
	}
	errs = append(errs, e.Signing.validate()...)
	errs = append(errs, e.ECS.Deployment.validate()...)
	if e.Production && e.Endpoints != (Endpoints{}) {
		errs = append(errs, fmt.Errorf("a production environment cannot override endpoints"))
	}
	return errors.Join(errs...)
}

// Local reports whether the environment targets the local sandbox (endpoint overrides set).
func (e *Environment) Local() bool { return e.Endpoints.AWS != "" }

// Path returns a repository-relative path as an absolute one.
func (e *Environment) Path(rel string) string { return filepath.Join(e.Root, rel) }

// DirPath is the absolute environments/<name> directory.
func (e *Environment) DirPath() string { return filepath.Join(e.Root, Dir, e.Name) }

// StateKey is the backend key of a stack in this environment: <env>/<stack>/terraform.tfstate.
func (e *Environment) StateKey(stack string) string {
	return StateKey(e.Name, stack)
}

// StateKey is the blueprint's key scheme: <env>/<stack>/terraform.tfstate, stack like "shared/vpc".
func StateKey(env, stack string) string {
	return env + "/" + strings.Trim(stack, "/") + "/terraform.tfstate"
}
