package gate

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/platformteam/delivery/pkg/environment"
	"github.com/platformteam/delivery/pkg/supplychain/provenance"
	"github.com/platformteam/delivery/pkg/supplychain/signing"
)

// ReadFile reads a repository file by its path relative to the repository root.
type ReadFile func(rel string) ([]byte, error)

// PolicyFor resolves an environment's trust policy (delivery.yaml signing.trust and signing.builders)
// into keys: the public half of each trusted KMS key (kms:GetPublicKey, with the environment's own
// credentials; another account's key policy must allow them) and each committed PEM file. Every key
// must resolve: a trust policy the gate cannot read refuses every deploy.
func PolicyFor(ctx context.Context, env *environment.Environment, kms signing.PublicKeyAPI, readFile ReadFile) (Policy, error) {
	p := Policy{Environment: env.Name, Builders: env.Signing.Builders}
	if len(p.Builders) == 0 {
		p.Builders = []string{provenance.BuilderID}
	}
	if len(env.Signing.Trust) == 0 {
		return p, fmt.Errorf("environment %s trusts no signing key: set signing.trust in environments/%s/delivery.yaml", env.Name, env.Name)
	}
	var errs []error
	for _, k := range env.Signing.Trust {
		switch {
		case k.KMS != "":
			key, err := signing.KMSPublicKey(ctx, kms, k.KMS)
			if err != nil {
				hint := ""
				if strings.Contains(err.Error(), "AccessDenied") {
					hint = " (the deploy role needs kms:GetPublicKey on it; a key of another account must also allow it in its key policy: modules/signing)"
				}
				errs = append(errs, fmt.Errorf("trusted %s: %w%s", k, err, hint))
				continue
			}
			p.Keys = append(p.Keys, key)
		case k.PublicKey != "":
			data, err := readFile(k.PublicKey)
			if err != nil {
				errs = append(errs, fmt.Errorf("trusted %s: %w", k, err))
				continue
			}
			key, err := signing.ParsePublicKeyPEM(k.PublicKey, data)
			if err != nil {
				errs = append(errs, fmt.Errorf("trusted %s: %w", k, err))
				continue
			}
			p.Keys = append(p.Keys, key)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return p, fmt.Errorf("resolve the trust policy of %s: %w", env.Name, err)
	}
	return p, nil
}
