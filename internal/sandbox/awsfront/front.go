// Package awsfront is the sandbox's AWS endpoint (127.0.0.1:4566): an HTTP handler in front of moto
// that forwards every request to moto unchanged, except the requests of the concerns moto does not
// model the way AWS does, which go to their stand-ins.
//
// Each concern is one route in New, matched in order before the fallback to moto:
//
//   - ecs: ECS JSON calls go to the rollout simulator (package rollout), which plays service
//     deployments out the way ECS reports them (moto never completes one).
//
// A reset of moto (POST /moto-api/reset, used by tests) first resets every stand-in that keeps state,
// then goes to moto.
package awsfront

import (
	"fmt"
	"net/http"
	"net/http/httputil"
	"net/url"
	"time"

	"github.com/platformteam/delivery/internal/fake/ecs"
	"github.com/platformteam/delivery/internal/fake/ecs/rollout"
)

// Config configures the front.
type Config struct {
	// Backend is moto's URL, e.g. http://127.0.0.1:4567.
	Backend string
	// RolloutTime is how long a simulated ECS deployment stays IN_PROGRESS (the simulator's default when 0).
	RolloutTime time.Duration
}

// Front is the handler. Create it with New.
type Front struct {
	routes []route
	resets []func()
	moto   http.Handler
}

// route is one concern: the requests it matches and the stand-in that answers them.
type route struct {
	matches func(*http.Request) bool
	handler http.Handler
}

// New returns the front for moto at cfg.Backend.
func New(cfg Config) (*Front, error) {
	backend, err := url.Parse(cfg.Backend)
	if err != nil || backend.Host == "" {
		return nil, fmt.Errorf("AWS backend %q is not a URL such as http://127.0.0.1:4567", cfg.Backend)
	}
	sim, err := rollout.New(cfg.Backend)
	if err != nil {
		return nil, err
	}
	if cfg.RolloutTime > 0 {
		sim.RolloutTime = cfg.RolloutTime
	}
	return &Front{
		routes: []route{
			{matches: isECS, handler: sim}, // ecs
		},
		resets: []func(){sim.Reset},
		moto:   httputil.NewSingleHostReverseProxy(backend),
	}, nil
}

// ServeHTTP implements http.Handler.
func (f *Front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/moto-api/reset" { // moto forgets everything: so does every stand-in
		for _, reset := range f.resets {
			reset()
		}
	}
	for _, rt := range f.routes {
		if rt.matches(r) {
			rt.handler.ServeHTTP(w, r)
			return
		}
	}
	f.moto.ServeHTTP(w, r)
}

func isECS(r *http.Request) bool {
	_, ok := ecs.Operation(r.Header)
	return ok
}
