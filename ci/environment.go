package main

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"

	"dagger/delivery/internal/dagger"

	"dagger/delivery/endpoints"

	"github.com/platformteam/delivery/pkg/environment"
)

// srcRoot is where the repository is mounted in every container.
const srcRoot = "/src"

// environmentNames lists environments/<name>/ folders that hold a delivery.yaml.
func (m *Delivery) environmentNames(ctx context.Context) ([]string, error) {
	entries, err := m.Source.Directory(environment.Dir).Entries(ctx)
	if err != nil {
		return nil, fmt.Errorf("list %s/: %w", environment.Dir, err)
	}
	var names []string
	for _, e := range entries {
		name := strings.TrimSuffix(e, "/")
		if name == e { // a file, not a folder
			continue
		}
		if _, err := m.Source.File(environment.Dir + "/" + name + "/" + environment.FileName).Name(ctx); err == nil {
			names = append(names, name)
		}
	}
	return names, nil
}

// environment loads and validates environments/<name>/ from the source, and checks that what the
// environment needs was passed (credentials, sandbox services) — before any step runs.
func (m *Delivery) environment(ctx context.Context, name string) (*environment.Environment, error) {
	return m.loadEnvironment(ctx, name, true)
}

// offlineEnvironment is environment for steps that touch no cloud (lint, build): no credentials needed.
func (m *Delivery) offlineEnvironment(ctx context.Context, name string) (*environment.Environment, error) {
	return m.loadEnvironment(ctx, name, false)
}

func (m *Delivery) loadEnvironment(ctx context.Context, name string, needAccess bool) (*environment.Environment, error) {
	if err := environment.CheckName(name); err != nil {
		return nil, err
	}
	folder := m.Source.Directory(environment.Dir + "/" + name)
	raw, err := folder.File(environment.FileName).Contents(ctx)
	if err != nil {
		known, _ := m.environmentNames(ctx)
		return nil, environment.Unknown(name, known)
	}
	files, err := folder.Entries(ctx)
	if err != nil {
		return nil, fmt.Errorf("list %s/%s: %w", environment.Dir, name, err)
	}
	env, err := environment.FromFolder(name, []byte(raw), files)
	if err != nil {
		return nil, err
	}
	env.Root = srcRoot
	if m.Region != "" {
		env.Region = m.Region
	}
	if m.GoImage != "" {
		env.Images.Go = m.GoImage
	}
	if m.ToolsImage != "" {
		env.Images.Tools = m.ToolsImage
	}
	if m.TerraformImage != "" {
		env.Images.Terraform = m.TerraformImage
	}
	if needAccess {
		if err := m.checkAccess(env); err != nil {
			return nil, err
		}
	}
	if err := m.checkSecretSources(ctx); err != nil {
		return nil, err
	}
	if err := checkImages(ctx, env); err != nil {
		return nil, err
	}
	return env, nil
}

// checkImages resolves every base image the pipeline starts from, so a reference that cannot be pulled
// fails here, naming the setting to fix, before any step runs. The images resolve concurrently (each is
// a registry round trip; the steps reuse the resolved images); the first failing one in this order is
// reported.
func checkImages(ctx context.Context, env *environment.Environment) error {
	images := []struct{ setting, flag, ref string }{
		{"images.go", "--go-image", env.Images.Go},
		{"images.tools", "--tools-image", env.Images.Tools},
		{"images.terraform", "--terraform-image", env.Images.Terraform},
	}
	errs := make([]error, len(images))
	var wg sync.WaitGroup
	for i, img := range images {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = dag.Container().From(img.ref).Sync(ctx)
		}()
	}
	wg.Wait()
	for i, img := range images {
		if errs[i] != nil {
			// %v, not %w: a wrapped API error would be reported instead of this message.
			return fmt.Errorf("base image %s cannot be resolved: set %s in %s/%s/%s or pass %s (%v)",
				img.ref, img.setting, environment.Dir, env.Name, environment.FileName, img.flag, errs[i])
		}
	}
	return nil
}

// checkAccess fails early when the environment cannot be reached with what was passed.
func (m *Delivery) checkAccess(env *environment.Environment) error {
	if env.Local() {
		var missing []string
		if m.AwsEndpoint == nil {
			missing = append(missing, "--aws-endpoint tcp://"+endpoints.HostPort(env.Endpoints.AWS))
		}
		if m.KubeAPI == nil {
			missing = append(missing, "--kube-api tcp://127.0.0.1:6443")
		}
		if m.Kubeconfig == nil {
			missing = append(missing, "--kubeconfig file://"+env.Endpoints.Kubeconfig)
		}
		if len(missing) > 0 {
			return fmt.Errorf("environment %q runs against the local sandbox: pass %s (scripts/dagger-local.sh does)", env.Name, strings.Join(missing, " "))
		}
		return nil
	}
	keys := m.AwsAccessKeyID != nil && m.AwsSecretAccessKey != nil
	webIdentity := m.AwsWebIdentityToken != nil
	if !keys && m.AwsConfig == nil && !webIdentity {
		return fmt.Errorf("missing AWS credentials for environment %q: pass --aws-access-key-id env://AWS_ACCESS_KEY_ID --aws-secret-access-key env://AWS_SECRET_ACCESS_KEY [--aws-session-token env://AWS_SESSION_TOKEN], "+
			"or --aws-config file://$HOME/.aws/config --aws-profile NAME, or --aws-web-identity-token file://TOKEN --aws-role-arn ARN", env.Name)
	}
	if (m.AwsAccessKeyID == nil) != (m.AwsSecretAccessKey == nil) {
		return fmt.Errorf("pass both --aws-access-key-id and --aws-secret-access-key, or neither")
	}
	if webIdentity != (m.AwsRoleArn != "") {
		return fmt.Errorf("--aws-web-identity-token and --aws-role-arn go together (a role to assume with the token); for role chaining from a profile use --aws-config with role_arn and source_profile")
	}
	if m.AwsProfile != "" && m.AwsConfig == nil {
		return fmt.Errorf("--aws-profile %s needs --aws-config file://$HOME/.aws/config (the file that defines it)", m.AwsProfile)
	}
	if m.AwsCredentials != nil && m.AwsConfig == nil {
		return fmt.Errorf("--aws-credentials needs --aws-config (and --aws-profile): the credentials file only holds keys")
	}
	return nil
}

// kubeconfigPath is where a given kubeconfig is mounted in containers.
const kubeconfigPath = "/root/.kube/config"

// secretSchemes are the secret providers a value may come from; anything else is a plain value typed
// on a command line (and so already in a shell history or a CI log).
var secretSchemes = []string{"env://", "file://", "cmd://", "op://", "vault://", "libsecret://"}

// checkSecretSources refuses secrets given as plain values instead of references.
func (m *Delivery) checkSecretSources(ctx context.Context) error {
	for _, s := range []struct {
		flag   string
		secret *dagger.Secret
	}{
		{"--aws-access-key-id", m.AwsAccessKeyID}, {"--aws-secret-access-key", m.AwsSecretAccessKey},
		{"--aws-session-token", m.AwsSessionToken}, {"--aws-config", m.AwsConfig}, {"--aws-credentials", m.AwsCredentials},
		{"--aws-web-identity-token", m.AwsWebIdentityToken}, {"--kubeconfig", m.Kubeconfig},
	} {
		if s.secret == nil {
			continue
		}
		// Never echo the value or the provider's error: with a plain value typed in, both contain it.
		uri, err := s.secret.URI(ctx)
		ok := err == nil
		if ok {
			ok = false
			for _, scheme := range secretSchemes {
				ok = ok || strings.HasPrefix(uri, scheme)
			}
		}
		if ok {
			_, err = s.secret.Plaintext(ctx)
			ok = err == nil
		}
		if !ok {
			return fmt.Errorf("%s could not be read as a secret: pass a reference to a set environment variable (env://NAME) or a file (file://PATH); plain values are refused so a secret never appears on a command line (rotate it if it was real)", s.flag)
		}
	}
	return nil
}

// Aliases under which local sandbox services are bound into containers.
const (
	awsAlias  = "aws"
	kubeAlias = "kubernetes"
	regAlias  = "registry"
)

// Where credentials are mounted in containers (secret mounts: never in a layer).
const (
	awsConfigPath        = "/root/.aws/config"
	awsCredentialsPath   = "/root/.aws/credentials"
	awsWebIdentityPath   = "/run/secrets/aws-web-identity-token"
	awsRoleSessionPrefix = "delivery-"
)

// withAWS gives a container the environment's AWS access: the region (after overrides) and the
// credentials, in whichever form they were given, for the SDK's default chain in every step — the
// push included: static keys (+ session token), a shared config profile (role chaining through
// source_profile + role_arn, credential_process), or a web identity token + role. Secrets are only
// secret variables or secret mounts. For the local sandbox: the AWS endpoint bound as a service.
func (m *Delivery) withAWS(ctr *dagger.Container, env *environment.Environment) *dagger.Container {
	ctr = ctr.WithEnvVariable("AWS_REGION", env.Region).WithEnvVariable("AWS_DEFAULT_REGION", env.Region)
	if env.Local() {
		// moto accepts any credentials; these are not secrets.
		return ctr.
			WithServiceBinding(awsAlias, m.AwsEndpoint).
			WithEnvVariable("AWS_ENDPOINT_URL", endpoints.Rebase(env.Endpoints.AWS, awsAlias)).
			WithEnvVariable("AWS_ACCESS_KEY_ID", "test").
			WithEnvVariable("AWS_SECRET_ACCESS_KEY", "test")
	}
	if m.AwsAccessKeyID != nil {
		ctr = ctr.WithSecretVariable("AWS_ACCESS_KEY_ID", m.AwsAccessKeyID).
			WithSecretVariable("AWS_SECRET_ACCESS_KEY", m.AwsSecretAccessKey)
	}
	if m.AwsSessionToken != nil {
		ctr = ctr.WithSecretVariable("AWS_SESSION_TOKEN", m.AwsSessionToken)
	}
	if m.AwsConfig != nil {
		credentials := awsConfigPath // a config file may hold the keys of its profiles too
		ctr = ctr.WithMountedSecret(awsConfigPath, m.AwsConfig).WithEnvVariable("AWS_CONFIG_FILE", awsConfigPath)
		if m.AwsCredentials != nil {
			credentials = awsCredentialsPath
			ctr = ctr.WithMountedSecret(awsCredentialsPath, m.AwsCredentials)
		}
		ctr = ctr.WithEnvVariable("AWS_SHARED_CREDENTIALS_FILE", credentials)
		if m.AwsProfile != "" {
			ctr = ctr.WithEnvVariable("AWS_PROFILE", m.AwsProfile)
		}
	}
	if m.AwsWebIdentityToken != nil {
		ctr = ctr.WithMountedSecret(awsWebIdentityPath, m.AwsWebIdentityToken).
			WithEnvVariable("AWS_WEB_IDENTITY_TOKEN_FILE", awsWebIdentityPath).
			WithEnvVariable("AWS_ROLE_ARN", m.AwsRoleArn).
			WithEnvVariable("AWS_ROLE_SESSION_NAME", awsRoleSessionPrefix+env.Name)
	}
	return ctr
}

// withKube gives a container access to the environment's cluster: a given kubeconfig (the sandbox's,
// rewritten to reach the apiserver through its service alias), or none — then the release engine builds
// one from eks:DescribeCluster with a token of its own.
func (m *Delivery) withKube(ctx context.Context, ctr *dagger.Container, env *environment.Environment) (*dagger.Container, error) {
	if m.Kubeconfig == nil {
		return ctr, nil
	}
	if !env.Local() {
		return ctr.WithMountedSecret(kubeconfigPath, m.Kubeconfig).WithEnvVariable("KUBECONFIG", kubeconfigPath), nil
	}
	plain, err := m.Kubeconfig.Plaintext(ctx)
	if err != nil {
		return nil, fmt.Errorf("read --kubeconfig: %w", err)
	}
	rewritten, n := endpoints.RewriteKubeServer(plain, kubeAlias)
	if n == 0 {
		return nil, fmt.Errorf("--kubeconfig has no loopback https server to rewrite; pass the sandbox's .sandbox/kube/kubeconfig")
	}
	secret := dag.SetSecret("delivery-kubeconfig-"+env.Name, rewritten)
	return ctr.
		WithServiceBinding(kubeAlias, m.KubeAPI).
		WithMountedSecret(kubeconfigPath, secret).
		WithEnvVariable("KUBECONFIG", kubeconfigPath), nil
}

// withRegistry binds the local sandbox registry into a container so registry checks can reach it.
func (m *Delivery) withRegistry(ctr *dagger.Container, env *environment.Environment) *dagger.Container {
	if !env.Local() || m.RegistryService == nil {
		return ctr
	}
	_, port, _ := net.SplitHostPort(env.Endpoints.Registry)
	// The release engine reaches the registry through the alias; references keep the canonical name.
	return ctr.WithServiceBinding(regAlias, m.RegistryService).
		WithEnvVariable("RELEASE_REGISTRY", regAlias+":"+port)
}
