package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"dagger/delivery/endpoints"
	"dagger/delivery/internal/dagger"

	"github.com/platformteam/delivery/pkg/addrmap"
	"github.com/platformteam/delivery/pkg/environment"
)

// twinAccess is how the release engine's container reaches the twin of an environment's account: the
// declaration (carried in the job), the host services bound under aliases, and the address map that
// sends the declared loopback addresses to those aliases (every name — endpoint URLs, the EKS TLS
// name, image references — stays as declared).
type twinAccess struct {
	decl     *environment.Twin
	dial     addrmap.Map
	services map[string]*dagger.Service // alias → host service
	// awsURL is the twin's AWS endpoint as a container reaches it (http://twin-4566:4566): terraform
	// cannot take a dial map, so its endpoint settings name the alias.
	awsURL string
}

// twinAliasPrefix names the alias of the host service on port N: twin-N.
const twinAliasPrefix = "twin-"

// twinAccess reads --twin's declarations and binds --twin-service; nil without --twin.
func (m *Delivery) twinAccess(ctx context.Context, env *environment.Environment) (*twinAccess, error) {
	if m.Twin == nil {
		if len(m.TwinServices) > 0 {
			return nil, fmt.Errorf("--twin-service needs --twin (the declarations, .sandbox/twin-endpoints)")
		}
		return nil, nil
	}
	if env.Local() {
		return nil, fmt.Errorf("environment %s runs against the local sandbox (endpoints in its delivery.yaml), not a twin account: drop --twin", env.Name)
	}
	entries, err := m.Twin.Entries(ctx)
	if err != nil {
		return nil, fmt.Errorf("read --twin: %w", err)
	}
	var target *environment.Twin
	var others []*environment.Twin
	var names []string
	for _, e := range entries {
		name, ok := strings.CutSuffix(e, ".json")
		if !ok {
			continue
		}
		raw, err := m.Twin.File(e).Contents(ctx)
		if err != nil {
			return nil, fmt.Errorf("read --twin %s: %w", e, err)
		}
		d, err := environment.ParseTwin([]byte(raw), name)
		if err != nil {
			return nil, fmt.Errorf("--twin %s: %w", e, err)
		}
		names = append(names, name)
		if name == env.Name {
			target = d
		} else {
			others = append(others, d)
		}
	}
	if target == nil {
		sort.Strings(names)
		return nil, fmt.Errorf("--twin declares no twin of environment %s (it declares %s): run `go run ./cmd/sandbox up`", env.Name, strings.Join(names, ", "))
	}
	if err := target.Matches(env); err != nil {
		return nil, err
	}
	t := &twinAccess{decl: target, services: map[string]*dagger.Service{}}
	bound := map[int]string{}
	for _, svc := range m.TwinServices {
		port, err := servicePort(ctx, svc)
		if err != nil {
			return nil, fmt.Errorf("--twin-service: %w (pass tcp://127.0.0.1:PORT)", err)
		}
		alias := fmt.Sprintf("%s%d", twinAliasPrefix, port)
		bound[port] = alias
		t.services[alias] = svc
	}
	if t.dial, err = target.Dial(others, bound); err != nil {
		return nil, err
	}
	aliases := map[string]bool{}
	for alias := range t.services {
		aliases[alias] = true
	}
	if t.awsURL, err = endpoints.ThroughAlias(target.AWS, t.dial.Resolve, aliases); err != nil {
		return nil, fmt.Errorf("the twin of %s: %w: pass its port as a --twin-service (tcp://%s)", env.Name, err, endpoints.HostPort(target.AWS))
	}
	return t, nil
}

// bind adds the twin's services to a container under their aliases.
func (t *twinAccess) bind(ctr *dagger.Container) *dagger.Container {
	if t == nil {
		return ctr
	}
	for _, alias := range sortedKeys(t.services) {
		ctr = ctr.WithServiceBinding(alias, t.services[alias])
	}
	return ctr
}

// twinRoutePath is where the stack engine's containers find the twin's route (`stacks account --twin`).
const twinRoutePath = "/work/twin-route.json"

// forStacks gives a stack engine container the twin: its services bound and the route `stacks account
// --twin` reads (the declaration and the dial map: addresses only, no secret). Terraform's backend and
// remote state take their endpoints from backend.hcl, which stackSource points at the alias; a
// provider's calls are not redirected (the stand-in stacks, the only ones the twin runs, have none).
func (t *twinAccess) forStacks(ctr *dagger.Container) (*dagger.Container, error) {
	if t == nil {
		return ctr, nil
	}
	route, err := json.Marshal(environment.TwinRoute{Twin: t.decl, Dial: t.dial})
	if err != nil {
		return nil, fmt.Errorf("encode the twin route: %w", err)
	}
	return t.bind(ctr).WithNewFile(twinRoutePath, string(route)), nil
}

// backend is backend.hcl with the twin's AWS endpoint (as the environment's copy declares it, on
// loopback) replaced by the alias a container reaches it at.
func (t *twinAccess) backend(raw string) string {
	return strings.ReplaceAll(raw, strings.TrimRight(t.decl.AWS, "/"), t.awsURL)
}
