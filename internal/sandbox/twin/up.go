package twin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awscreds "github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/platformteam/delivery/internal/iampolicy"
	"github.com/platformteam/delivery/internal/sandbox/awsfront"
	"github.com/platformteam/delivery/internal/sandbox/awsfront/credentials"
	"github.com/platformteam/delivery/internal/sandbox/awsseed"
	"github.com/platformteam/delivery/internal/sandbox/oidc"
	"github.com/platformteam/delivery/pkg/environment"
)

// Environments are the environments whose accounts the sandbox twins, in bootstrap order: local is
// the laptop path, staging and production the twin accounts CI deploys to.
var Environments = []string{"local", "staging", "production"}

// Account is one twin account as the sandbox sets it up.
type Account struct {
	Env *environment.Environment
	// RegistryPort is the account's registry front port; 0 means the account uses the sandbox's plain
	// registry (local: the base images and the laptop path push there without a login).
	RegistryPort int
}

// Layout is where the twin listens.
type Layout struct {
	Host         string // 127.0.0.1
	FrontPort    int    // 4566: the AWS endpoint
	MotoPort     int    // 4567
	IssuerPort   int    // 4568
	RegistryPort int    // 5000: the docker-registry backend (and the local account's plain registry)
	// RegistryPorts of the twin accounts by environment (staging 5002, production 5003).
	RegistryPorts map[string]int
	// ClusterEndpoints are the EKS endpoints (what DescribeCluster reports) by environment.
	ClusterEndpoints map[string]string
}

// FrontURL is the AWS endpoint.
func (l Layout) FrontURL() string { return fmt.Sprintf("http://%s:%d", l.Host, l.FrontPort) }

// MotoURL is moto itself.
func (l Layout) MotoURL() string { return fmt.Sprintf("http://%s:%d", l.Host, l.MotoPort) }

// IssuerURL is the OIDC issuer's base URL.
func (l Layout) IssuerURL() string { return fmt.Sprintf("http://%s:%d", l.Host, l.IssuerPort) }

// RegistryAddress is the plain registry (the backend of every account's registry front).
func (l Layout) RegistryAddress() string { return fmt.Sprintf("%s:%d", l.Host, l.RegistryPort) }

// LoadAccounts reads the environments' own delivery.yaml files.
func LoadAccounts(root string, l Layout) ([]Account, error) {
	var out []Account
	seen := map[string]string{}
	for _, name := range Environments {
		env, err := environment.Load(root, name)
		if err != nil {
			return nil, fmt.Errorf("twin account of %s: %w", name, err)
		}
		if other, dup := seen[env.AccountID]; dup {
			return nil, fmt.Errorf("environments %s and %s name the same account %s: the twin keeps one account per environment", other, name, env.AccountID)
		}
		seen[env.AccountID] = name
		out = append(out, Account{Env: env, RegistryPort: l.RegistryPorts[name]})
	}
	return out, nil
}

// accountIDs lists the account ids in bootstrap order.
func accountIDs(accounts []Account) []string {
	var ids []string
	for _, a := range accounts {
		ids = append(ids, a.Env.AccountID)
	}
	return ids
}

// Bootstrap is what the bootstrap of one moto process produced (twin/bootstrap.json, 0600).
type Bootstrap struct {
	// Moto identifies the moto process bootstrapped (its PID record); another process needs another
	// bootstrap (a moto restart always means a full reseed).
	Moto   string                            `json:"moto"`
	Admins map[string]credentials.Credential `json:"admins"`
	// Laptop is the local environment's laptop user key (.sandbox/env).
	Laptop credentials.Credential `json:"laptop"`
}

// BootstrapFile is where the bootstrap is recorded.
func BootstrapFile(stateDir string) string { return filepath.Join(Dir(stateDir), "bootstrap.json") }

// ReadBootstrap reads the recorded bootstrap (ok false when there is none).
func ReadBootstrap(stateDir string) (Bootstrap, bool, error) {
	var b Bootstrap
	data, err := os.ReadFile(BootstrapFile(stateDir))
	if errors.Is(err, os.ErrNotExist) {
		return b, false, nil
	}
	if err != nil {
		return b, false, err
	}
	if err := json.Unmarshal(data, &b); err != nil {
		return b, false, fmt.Errorf("twin bootstrap record %s: %w", BootstrapFile(stateDir), err)
	}
	return b, true, nil
}

func writeSecret(path string, v any) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// Write records the bootstrap.
func (b Bootstrap) Write(stateDir string) error { return writeSecret(BootstrapFile(stateDir), b) }

// NewBootstrap bootstraps a freshly started moto and forgets every credential of the previous moto: the
// front's credential registry and KMS key material start over.
func NewBootstrap(ctx context.Context, stateDir string, l Layout, accounts []Account, motoID string) (Bootstrap, error) {
	if err := os.RemoveAll(FrontStateDir(stateDir)); err != nil {
		return Bootstrap{}, fmt.Errorf("forget the previous moto's credentials: %w", err)
	}
	region := accounts[0].Env.Region
	admins, err := awsseed.Bootstrap(ctx, l.MotoURL(), region, accountIDs(accounts))
	if err != nil {
		return Bootstrap{}, fmt.Errorf("%w (moto has to be restarted: run `go run ./cmd/sandbox down` then `up`)", err)
	}
	b := Bootstrap{Moto: motoID, Admins: admins}
	return b, b.Write(stateDir)
}

// SandboxECSTime is the sandbox's compressed ECS deployment time: one ECS minute (step interval, bake
// time) lasts one second, so a linear deployment with 2-minute steps runs in seconds. A lifecycle
// stage lasts 2.5 s, the deploy's longest poll interval, so a deploy sees every stage. Only the twin
// reads it; delivery.yaml and the deploy keep AWS's minutes.
var SandboxECSTime = awsfront.ECSTime{MinuteSeconds: 1, StageSeconds: 2.5}

// FrontConfig is the AWS front's configuration for these accounts.
func FrontConfig(stateDir string, l Layout, accounts []Account, b Bootstrap) awsfront.Config {
	cfg := awsfront.Config{
		Listen:          fmt.Sprintf("%s:%d", l.Host, l.FrontPort),
		Backend:         l.MotoURL(),
		Region:          accounts[0].Env.Region,
		StateDir:        FrontStateDir(stateDir),
		OIDC:            awsfront.OIDC{Listen: fmt.Sprintf("%s:%d", l.Host, l.IssuerPort), KeyFile: IssuerKeyFile(stateDir)},
		RegistryBackend: "http://" + l.RegistryAddress(),
		ECSTime:         SandboxECSTime,
	}
	for _, a := range accounts {
		acct := awsfront.Account{ID: a.Env.AccountID, Environment: a.Env.Name, Region: a.Env.Region, Admin: b.Admins[a.Env.AccountID],
			RegistryEndpoint: "http://" + l.RegistryAddress()}
		if a.RegistryPort != 0 {
			acct.Registry = fmt.Sprintf("%s:%d", l.Host, a.RegistryPort)
			acct.RegistryEndpoint = "http://" + acct.Registry
		}
		cfg.Accounts = append(cfg.Accounts, acct)
	}
	return cfg
}

// WriteFrontConfig stores the front's configuration (0600: it holds the admin identities).
func WriteFrontConfig(stateDir string, cfg awsfront.Config) error {
	return writeSecret(FrontConfigFile(stateDir), cfg)
}

// AdminConfig is an SDK configuration for an account's admin through the front.
func AdminConfig(l Layout, b Bootstrap, account, region string) aws.Config {
	a := b.Admins[account]
	return aws.Config{Region: region, BaseEndpoint: aws.String(l.FrontURL()), RetryMaxAttempts: 5,
		Credentials: awscreds.NewStaticCredentialsProvider(a.AccessKeyID, a.SecretAccessKey, "")}
}

// BootstrapValid checks that the recorded admin of every account still authenticates at the front
// (false after moto lost its state).
func BootstrapValid(ctx context.Context, l Layout, b Bootstrap, accounts []Account) bool {
	for _, a := range accounts {
		cfg := AdminConfig(l, b, a.Env.AccountID, a.Env.Region)
		out, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil || aws.ToString(out.Account) != a.Env.AccountID {
			return false
		}
	}
	return true
}

// SeedAll seeds every account through the front and returns what each created (by environment) and the
// laptop key of the local account (reused when it still works).
func SeedAll(ctx context.Context, root string, l Layout, accounts []Account, b *Bootstrap, kubeVersion string, desired int32, progress io.Writer) error {
	for _, a := range accounts {
		env := a.Env
		var ids *iampolicy.Identities
		if _, err := iampolicy.LoadSettings(root, env.Name); err == nil {
			if ids, err = iampolicy.Load(root, env.Name); err != nil {
				return fmt.Errorf("render the CI identities of %s: %w", env.Name, err)
			}
		}
		image, push := "", ""
		if a.RegistryPort != 0 {
			image = fmt.Sprintf("%s:%d/%s:%s", l.Host, a.RegistryPort, env.Image.Repository, awsseed.BootstrapTag)
			push = fmt.Sprintf("%s/%s/%s:%s", l.RegistryAddress(), env.AccountID, env.Image.Repository, awsseed.BootstrapTag)
		} else {
			registry := env.Endpoints.Registry
			if registry == "" {
				registry = l.RegistryAddress()
			}
			image = fmt.Sprintf("%s/%s:%s", registry, env.Image.Repository, awsseed.BootstrapTag)
			push = image
		}
		seeded, err := awsseed.Seed(ctx, awsseed.Target{Root: root, Env: env, AWS: AdminConfig(l, *b, env.AccountID, env.Region),
			Identities: ids, Image: image, PushImage: push, KubernetesVersion: kubeVersion, DesiredCount: desired, TwinCluster: true})
		if err != nil {
			return err
		}
		if len(seeded) > 0 {
			fmt.Fprintf(progress, "seeded the %s account %s (%d created or changed):\n", env.Name, env.AccountID, len(seeded))
			for _, s := range seeded {
				fmt.Fprintf(progress, "  %s\n", s)
			}
		}
		if env.Name == "local" {
			laptop, created, err := awsseed.LaptopKeys(ctx, AdminConfig(l, *b, env.AccountID, env.Region), b.Laptop)
			if err != nil {
				return fmt.Errorf("laptop keys of the local account: %w", err)
			}
			if created {
				fmt.Fprintf(progress, "  new key %s for %s (the env file's AWS_ACCESS_KEY_ID)\n", laptop.AccessKeyID, laptop.Principal)
			}
			b.Laptop = laptop
		}
	}
	return nil
}

// WriteDeclarations writes each twin environment's endpoints declaration (pkg/environment.Twin).
func WriteDeclarations(stateDir string, l Layout, accounts []Account) error {
	for _, a := range accounts {
		env := a.Env
		registry := l.RegistryAddress()
		if a.RegistryPort != 0 {
			registry = fmt.Sprintf("%s:%d", l.Host, a.RegistryPort)
		}
		d := environment.Twin{Environment: env.Name, AccountID: env.AccountID, Region: env.Region, AWS: l.FrontURL(), Registry: registry,
			ECRHost:              fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com", env.AccountID, env.Region),
			OIDC:                 environment.TwinOIDC{Issuer: oidc.GitHubIssuer, Discovery: l.IssuerURL() + "/.well-known/openid-configuration", Audience: oidc.STSAudience},
			CodeBuildCredentials: l.FrontURL() + awsfront.PathCodeBuildCredentials,
			Kubernetes:           environment.TwinKubernetes{Cluster: env.EKS.Cluster, Endpoint: l.ClusterEndpoints[env.Name]}}
		if err := d.Write(stateDir); err != nil {
			return err
		}
	}
	return nil
}

// WaitForFront waits until the front answers its health endpoint.
func WaitForFront(ctx context.Context, l Layout, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		resp, err := http.Get(l.FrontURL() + "/_twin/health")
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && strings.Contains(string(body), "ok") {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("aws-front did not answer %s/_twin/health within %s: %v", l.FrontURL(), timeout, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}
