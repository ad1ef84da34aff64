// Package awsconfig builds the aws-sdk-go-v2 configuration for one environment.
//
// Credentials always come from the SDK's default chain (environment variables, shared config and
// profiles, web identity for GitHub OIDC, container credentials for CodeBuild). The only thing an
// environment adds is the base endpoint for the local sandbox, and AWS_ENDPOINT_URL (the SDK's own
// variable) wins over it so containers can reach the sandbox through an alias.
package awsconfig

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/platformteam/delivery/pkg/addrmap"
	"github.com/platformteam/delivery/pkg/environment"
)

// EndpointEnv is the SDK's standard variable for one base endpoint for every service.
const EndpointEnv = "AWS_ENDPOINT_URL"

// sandboxAccessKey is used only against a local endpoint when no credentials are configured at all:
// moto accepts any signature, and a sandbox run should not depend on a developer's real profile.
const sandboxAccessKey = "sandbox"

// Options adjust Load; the zero value is right for the pipeline.
type Options struct {
	// Endpoint overrides every other endpoint source (a --aws-endpoint flag).
	Endpoint string
	// Twin is the sandbox twin of the environment's account (pkg/environment.Twin, already matched
	// to the environment): its AWS endpoint is used, for a production environment too, since it is an
	// explicit declaration and not an ambient variable; Endpoint and AWS_ENDPOINT_URL are refused with
	// it. The account guard still applies.
	Twin *environment.Twin
	// Dial maps the addresses the SDK's HTTP client dials (pkg/addrmap), e.g. the twin's loopback
	// address to a container alias of it; nil: none.
	Dial addrmap.Map
	// Getenv reads environment variables (os.Getenv when nil); tests inject their own.
	Getenv func(string) string
}

// Load returns the aws.Config for env. The region is the environment's; the endpoint is, in order,
// opts.Endpoint, AWS_ENDPOINT_URL, env.Endpoints.AWS, or none (real AWS).
func Load(ctx context.Context, env *environment.Environment, opts Options) (aws.Config, error) {
	getenv := opts.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	endpoint, err := resolveEndpoint(env, opts, getenv)
	if err != nil {
		return aws.Config{}, err
	}
	loaders := []func(*config.LoadOptions) error{config.WithRegion(env.Region)}
	if len(opts.Dial) > 0 {
		// One HTTP client for every call, the credential providers' own STS calls included.
		dial := opts.Dial
		loaders = append(loaders, config.WithHTTPClient(awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
			t.DialContext = dial.Dial(t.DialContext)
			t.Proxy = nil
		})))
	}
	if endpoint != "" {
		// The SDK builds the credential providers' own STS clients (role chaining through
		// source_profile + role_arn, web identity) before it applies a base endpoint, so they would
		// call the real STS: point them at the same endpoint as every other call.
		loaders = append(loaders, config.WithBaseEndpoint(endpoint),
			config.WithAssumeRoleCredentialOptions(func(o *stscreds.AssumeRoleOptions) {
				if o.Client != nil {
					o.Client = stsAt{assumeRole: o.Client, endpoint: endpoint}
				}
			}),
			config.WithWebIdentityRoleCredentialOptions(func(o *stscreds.WebIdentityRoleOptions) {
				if o.Client != nil {
					o.Client = stsAt{webIdentity: o.Client, endpoint: endpoint}
				}
			}))
	}
	// A twin enforces identities as AWS does: its credentials come from the chain, never invented.
	if endpoint != "" && opts.Twin == nil && getenv("AWS_ACCESS_KEY_ID") == "" && getenv("AWS_PROFILE") == "" &&
		getenv("AWS_WEB_IDENTITY_TOKEN_FILE") == "" && getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") == "" &&
		getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI") == "" {
		loaders = append(loaders, config.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(sandboxAccessKey, sandboxAccessKey, "")))
	}
	cfg, err := config.LoadDefaultConfig(ctx, loaders...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS configuration for environment %s: %w (check AWS_PROFILE and ~/.aws/config)", env.Name, err)
	}
	if endpoint != "" {
		cfg.BaseEndpoint = aws.String(endpoint)
	}
	return cfg, nil
}

// stsAt sends a credential provider's STS calls to endpoint.
type stsAt struct {
	assumeRole  stscreds.AssumeRoleAPIClient
	webIdentity stscreds.AssumeRoleWithWebIdentityAPIClient
	endpoint    string
}

func (s stsAt) at(optFns []func(*sts.Options)) []func(*sts.Options) {
	return append(optFns, func(o *sts.Options) { o.BaseEndpoint = aws.String(s.endpoint) })
}

func (s stsAt) AssumeRole(ctx context.Context, in *sts.AssumeRoleInput, optFns ...func(*sts.Options)) (*sts.AssumeRoleOutput, error) {
	return s.assumeRole.AssumeRole(ctx, in, s.at(optFns)...)
}

func (s stsAt) AssumeRoleWithWebIdentity(ctx context.Context, in *sts.AssumeRoleWithWebIdentityInput, optFns ...func(*sts.Options)) (*sts.AssumeRoleWithWebIdentityOutput, error) {
	return s.webIdentity.AssumeRoleWithWebIdentity(ctx, in, s.at(optFns)...)
}

// resolveEndpoint is the twin's declared endpoint, else Endpoint.
func resolveEndpoint(env *environment.Environment, opts Options, getenv func(string) string) (string, error) {
	if opts.Twin == nil {
		return Endpoint(env, opts.Endpoint, getenv)
	}
	for source, v := range map[string]string{"--aws-endpoint": opts.Endpoint, EndpointEnv: getenv(EndpointEnv), "endpoints.aws in delivery.yaml": env.Endpoints.AWS} {
		if v != "" {
			return "", fmt.Errorf("environment %s runs against its twin account (declared endpoint %s): refusing the other AWS endpoint %q from %s; unset it", env.Name, opts.Twin.AWS, v, source)
		}
	}
	if err := opts.Twin.Matches(env); err != nil {
		return "", err
	}
	return strings.TrimRight(opts.Twin.AWS, "/"), nil
}

// Endpoint resolves the base endpoint for env: flag, then AWS_ENDPOINT_URL, then env.Endpoints.AWS.
// A production environment never accepts an override.
func Endpoint(env *environment.Environment, flag string, getenv func(string) string) (string, error) {
	endpoint := flag
	source := "--aws-endpoint"
	if endpoint == "" {
		endpoint, source = getenv(EndpointEnv), EndpointEnv
	}
	if endpoint == "" {
		endpoint, source = env.Endpoints.AWS, "endpoints.aws in delivery.yaml"
	}
	if endpoint == "" {
		return "", nil
	}
	if env.Production {
		return "", fmt.Errorf("environment %s is production: refusing the AWS endpoint override %q from %s; unset it", env.Name, endpoint, source)
	}
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("AWS endpoint %q from %s must be an absolute http(s) URL such as http://127.0.0.1:4566", endpoint, source)
	}
	return strings.TrimRight(endpoint, "/"), nil
}

// CheckCredentials retrieves credentials once so a missing or expired identity fails before any mutation,
// with a message that says where the SDK looked.
func CheckCredentials(ctx context.Context, cfg aws.Config) error {
	if cfg.Credentials == nil {
		return errors.New("no AWS credentials provider configured: set AWS_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run with a role (GitHub OIDC, CodeBuild)")
	}
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		return fmt.Errorf("AWS credentials unavailable: %w (set AWS_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run with a role: GitHub OIDC, CodeBuild)", err)
	}
	return nil
}
