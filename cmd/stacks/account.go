package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/platformteam/delivery/pkg/awsconfig"
	"github.com/platformteam/delivery/pkg/environment"
)

// accountCommand is the account guard of the Terraform path as a command: sts:GetCallerIdentity with the
// credentials of this process must return the environment's account_id. It prints who the credentials
// are (--json: an awsconfig.Identity, the contract the Dagger module reads) and exits 1 otherwise. The
// module runs it in the container terraform runs in, with the same credentials, before any terraform
// command.
func accountCommand(ctx context.Context, args []string) error {
	var f commonFlags
	var endpoint, twin string
	fs := newFlagSet("account", "--env ENV [--root DIR] [--aws-endpoint URL | --twin FILE] [--json]")
	f.register(fs)
	fs.StringVar(&endpoint, "aws-endpoint", "", "AWS endpoint (default: $AWS_ENDPOINT_URL, then the environment's endpoints.aws)")
	fs.StringVar(&twin, "twin", "", "the sandbox twin of the environment's account to ask, as the Dagger module routes it (JSON of pkg/environment.TwinRoute)")
	if err := parse(fs, args); err != nil {
		return err
	}
	env, err := environment.Load(f.root, f.env)
	if err != nil {
		return err
	}
	opts := awsconfig.Options{Endpoint: endpoint, Getenv: os.Getenv}
	if twin != "" {
		route, err := environment.ReadTwinRoute(twin, env)
		if err != nil {
			return err
		}
		opts.Twin, opts.Dial = route.Twin, route.Dial
	}
	id, err := guardAccount(ctx, env, opts)
	if err != nil {
		return err
	}
	if f.json {
		raw, err := json.Marshal(id)
		if err != nil {
			return err
		}
		fmt.Println(string(raw))
		return nil
	}
	fmt.Printf("environment %s: credentials are %s in account %s\n", env.Name, id.ARN, id.Account)
	return nil
}

// guardAccount connects to env's AWS (awsconfig.Connect: load, then sts:GetCallerIdentity) and returns
// who the credentials are, or the refusal naming both accounts.
func guardAccount(ctx context.Context, env *environment.Environment, opts awsconfig.Options) (awsconfig.Identity, error) {
	_, id, err := awsconfig.Connect(ctx, env, opts)
	return id, err
}
