// Package rollout plays out ECS service deployments in front of an ECS API stand-in (moto) that
// cannot: moto accepts UpdateService but keeps reporting the old deployment as PRIMARY forever, so no
// deploy against it could ever be seen to complete.
//
// The Simulator is an HTTP reverse proxy. Every request goes to the backend unchanged; it watches
// UpdateService calls and rewrites the deployments in DescribeServices answers the way ECS reports a
// rolling deployment: the new task definition's deployment is PRIMARY and IN_PROGRESS for RolloutTime,
// then COMPLETED with running = desired. A task definition with an image containing FailMarker plays a
// failed deployment instead: rolloutState FAILED, the deployment circuit breaker rolls the service back
// to the previous task definition (through the backend, so the stored state agrees), and ECS-like
// events say so. It is the ECS counterpart of kwok's stages in the sandbox's Kubernetes cluster.
package rollout

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/platformteam/delivery/internal/fake/ecs"
)

// FailMarker in a container image makes the simulated deployment fail (as kwok's stages do for pods).
const FailMarker = "pull-fail"

// Simulator is the proxy. Create it with New.
type Simulator struct {
	backend *url.URL
	proxy   *httputil.ReverseProxy
	client  *http.Client
	// RolloutTime is how long a deployment stays IN_PROGRESS (default 2s).
	RolloutTime time.Duration
	// Now is the clock (time.Now when nil).
	Now func() time.Time

	// Cloud is where deployment strategies shift listener weights and read alarms (nil: traffic and
	// alarms are not modelled).
	Cloud Cloud
	// Minute is how long one ECS minute (step intervals, bake times) lasts: the sandbox compresses
	// time with it (default one minute).
	Minute time.Duration
	// StageTime is how long a lifecycle stage without a duration of its own lasts (default 1s).
	StageTime time.Duration

	mu          sync.Mutex
	rollouts    map[string]*rollout // by service ARN
	seq         int
	configs     map[string]*serviceConfig // by service ARN
	deployments map[string]*deployment    // by service deployment ARN
	active      map[string]*deployment    // by service ARN: the newest played deployment
}

type rollout struct {
	oldTD, newTD string
	desired      int32
	started      time.Time
	fail         bool
	id, oldID    string
	rolledBack   bool
	events       []ecs.Event
}

// New returns a simulator forwarding to backend (e.g. http://127.0.0.1:4567).
func New(backend string) (*Simulator, error) {
	u, err := url.Parse(backend)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("ECS backend %q is not a URL such as http://127.0.0.1:4567", backend)
	}
	s := &Simulator{backend: u, proxy: httputil.NewSingleHostReverseProxy(u), client: &http.Client{Timeout: 30 * time.Second},
		RolloutTime: 2 * time.Second, rollouts: map[string]*rollout{}, configs: map[string]*serviceConfig{},
		deployments: map[string]*deployment{}, active: map[string]*deployment{}}
	return s, nil
}

// SetTransport sends every backend request (forwarded and the simulator's own) through rt: the
// sandbox's AWS front signs them as the account the call acts in.
func (s *Simulator) SetTransport(rt http.RoundTripper) {
	s.proxy.Transport = rt
	s.client.Transport = rt
}

func (s *Simulator) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Reset forgets every rollout; call it when the backend is reset (moto's /moto-api/reset) and forgets
// its services.
func (s *Simulator) Reset() {
	s.mu.Lock()
	s.rollouts = map[string]*rollout{}
	s.configs, s.deployments, s.active = map[string]*serviceConfig{}, map[string]*deployment{}, map[string]*deployment{}
	s.mu.Unlock()
}

// ServeHTTP implements http.Handler.
func (s *Simulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op, ok := ecs.Operation(r.Header)
	switch {
	case !ok:
		s.proxy.ServeHTTP(w, r)
		return
	case op == "UpdateService", op == "DescribeServices", op == "CreateService", op == "DeleteService":
	case op == "ListServiceDeployments", op == "DescribeServiceDeployments":
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, "read request: "+err.Error(), http.StatusBadRequest)
			return
		}
		if op == "ListServiceDeployments" {
			s.listDeployments(w, body)
		} else {
			s.describeDeployments(w, body)
		}
		return
	default:
		s.proxy.ServeHTTP(w, r)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "read request: "+err.Error(), http.StatusBadRequest)
		return
	}
	status, header, resp, err := s.forward(r, body)
	if err != nil {
		http.Error(w, "ECS backend: "+err.Error(), http.StatusBadGateway)
		return
	}
	if status == http.StatusOK {
		switch op {
		case "UpdateService":
			s.observeUpdate(r, body, resp)
			resp = s.withConfig(resp)
		case "DescribeServices":
			resp = s.rewriteDescribe(r, resp)
		case "CreateService", "DeleteService": // a new service life: no rollout history
			var out struct {
				Service struct {
					ServiceArn string `json:"serviceArn"`
				} `json:"service"`
			}
			if json.Unmarshal(resp, &out) == nil && out.Service.ServiceArn != "" {
				arn := out.Service.ServiceArn
				s.mu.Lock()
				delete(s.rollouts, arn)
				delete(s.active, arn)
				delete(s.configs, arn)
				for k, d := range s.deployments {
					if d.serviceARN == arn {
						delete(s.deployments, k)
					}
				}
				if op == "CreateService" {
					var in ecs.StrategyUpdate
					if json.Unmarshal(body, &in) == nil {
						s.recordConfig(arn, in)
					}
				}
				s.mu.Unlock()
				resp = s.withConfig(resp)
			}
		}
	}
	for k, vs := range header {
		if k == "Content-Length" {
			continue
		}
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(resp)))
	w.WriteHeader(status)
	_, _ = w.Write(resp)
}

// forward sends a copy of r with body to the backend and returns the answer.
func (s *Simulator) forward(r *http.Request, body []byte) (int, http.Header, []byte, error) {
	u := *s.backend
	u.Path = r.URL.Path
	u.RawQuery = r.URL.RawQuery
	req, err := http.NewRequestWithContext(r.Context(), r.Method, u.String(), bytes.NewReader(body))
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header = r.Header.Clone()
	req.Header.Del("Accept-Encoding")
	res, err := s.client.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, out, err
}

// call makes an ECS JSON request of the simulator's own (the circuit breaker's rollback) and decodes
// the answer into out (when not nil).
func (s *Simulator) call(r *http.Request, op string, in, out any) error {
	body, _ := json.Marshal(in)
	req := r.Clone(r.Context())
	req.Header = r.Header.Clone()
	ecs.SetOperation(req.Header, op)
	status, _, resp, err := s.forward(req, body)
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		return fmt.Errorf("%s: HTTP %d: %s", op, status, resp)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(resp, out)
}

func (s *Simulator) observeUpdate(r *http.Request, reqBody, resp []byte) {
	var in ecs.UpdateServiceRequest
	var out struct {
		Service map[string]any `json:"service"`
	}
	if json.Unmarshal(reqBody, &in) != nil || json.Unmarshal(resp, &out) != nil || out.Service == nil {
		return
	}
	svc := out.Service
	arn, _ := svc["serviceArn"].(string)
	newTD, _ := svc["taskDefinition"].(string)
	var strat ecs.StrategyUpdate
	_ = json.Unmarshal(reqBody, &strat)
	s.mu.Lock()
	if arn != "" {
		s.recordConfig(arn, strat)
	}
	cfg := s.configs[arn]
	active := s.active[arn]
	s.mu.Unlock()
	if arn == "" || newTD == "" || (in.TaskDefinition == "" && !in.ForceNewDeployment) {
		return
	}
	oldTD := primaryTD(svc)
	s.mu.Lock()
	prev := s.rollouts[arn]
	if prev != nil { // the service's real current revision, not the backend's stale deployment
		oldTD = prev.newTD
		if prev.fail {
			oldTD = prev.oldTD
		}
	}
	s.mu.Unlock()
	if active != nil && (prev == nil || active.created.After(prev.started)) {
		oldTD = active.resultTD()
	}
	if cfg.usesEngine() {
		d := s.startDeployment(r, svc, oldTD, newTD, *cfg)
		s.mu.Lock()
		s.deployments[d.arn] = d
		s.active[arn] = d
		delete(s.rollouts, arn)
		s.mu.Unlock()
		return
	}
	s.mu.Lock()
	delete(s.active, arn)
	s.seq++
	ro := &rollout{oldTD: oldTD, newTD: newTD, desired: int32(num(svc["desiredCount"])), started: s.now(),
		id: fmt.Sprintf("ecs-svc/%019d", s.seq), oldID: fmt.Sprintf("ecs-svc/%019d", 1_000_000+s.seq)}
	s.mu.Unlock()
	ro.fail = s.imageFails(r, newTD)
	s.mu.Lock()
	s.rollouts[arn] = ro
	s.mu.Unlock()
}

// imageFails reports whether any container image of the task definition carries FailMarker.
func (s *Simulator) imageFails(r *http.Request, td string) bool {
	var out ecs.DescribeTaskDefinitionResponse
	if err := s.call(r, "DescribeTaskDefinition", ecs.DescribeTaskDefinitionRequest{TaskDefinition: td}, &out); err != nil {
		return false
	}
	for _, cd := range out.TaskDefinition.ContainerDefinitions {
		if strings.Contains(cd.Image, FailMarker) {
			return true
		}
	}
	return false
}

func (s *Simulator) rewriteDescribe(r *http.Request, resp []byte) []byte {
	var out map[string]any
	if json.Unmarshal(resp, &out) != nil {
		return resp
	}
	services, _ := out["services"].([]any)
	changed := false
	for _, v := range services {
		svc, ok := v.(map[string]any)
		if !ok {
			continue
		}
		arn, _ := svc["serviceArn"].(string)
		s.mu.Lock()
		ro := s.rollouts[arn]
		cfg := s.configs[arn]
		d := s.active[arn]
		s.mu.Unlock()
		if d != nil {
			s.advance(d)
		}
		if d != nil || (cfg != nil && cfg.dc != nil) {
			s.rewriteService(svc, d, cfg)
			changed = true
		}
		if ro == nil || d != nil {
			continue
		}
		s.play(r, svc, ro)
		changed = true
	}
	if !changed {
		return resp
	}
	b, err := json.Marshal(out)
	if err != nil {
		return resp
	}
	return b
}

// play rewrites one service answer for the rollout's current phase.
func (s *Simulator) play(r *http.Request, svc map[string]any, ro *rollout) {
	elapsed := s.now().Sub(ro.started)
	desired := ro.desired
	if d := int32(num(svc["desiredCount"])); d > 0 {
		desired = d
	}
	// Whole seconds, as moto reports its own timestamps.
	created, updated := ecs.Epoch(ro.started.Truncate(time.Second)), ecs.Epoch(s.now().Truncate(time.Second))
	dep := func(id, td, status, state, reason string, running, pending, failed int32) ecs.Deployment {
		return ecs.Deployment{ID: id, Status: status, TaskDefinition: td, DesiredCount: desired,
			RunningCount: running, PendingCount: pending, FailedTasks: failed, LaunchType: "FARGATE",
			RolloutState: state, RolloutStateReason: reason, CreatedAt: created, UpdatedAt: updated}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case elapsed < s.RolloutTime:
		svc["deployments"] = []ecs.Deployment{
			dep(ro.id, ro.newTD, "PRIMARY", "IN_PROGRESS", "ECS deployment "+ro.id+" in progress.", 0, desired, 0),
			dep(ro.oldID, ro.oldTD, "ACTIVE", "COMPLETED", "ECS deployment "+ro.oldID+" completed.", desired, 0, 0),
		}
		svc["taskDefinition"] = ro.newTD
		svc["runningCount"], svc["pendingCount"] = desired, desired
	case !ro.fail:
		svc["deployments"] = []ecs.Deployment{dep(ro.id, ro.newTD, "PRIMARY", "COMPLETED", "ECS deployment "+ro.id+" completed.", desired, 0, 0)}
		svc["taskDefinition"] = ro.newTD
		svc["runningCount"], svc["pendingCount"] = desired, int32(0)
		s.event(ro, fmt.Sprintf("(service %v) has reached a steady state.", svc["serviceName"]))
	default:
		if !ro.rolledBack {
			// The circuit breaker: ECS points the service back at the last good revision.
			cluster, _ := svc["clusterArn"].(string)
			service, _ := svc["serviceArn"].(string)
			err := s.call(r, "UpdateService", ecs.UpdateServiceRequest{Cluster: cluster, Service: service, TaskDefinition: ro.oldTD}, nil)
			if err == nil {
				ro.rolledBack = true
				s.event(ro, fmt.Sprintf("(service %v) (deployment %s) deployment failed: tasks failed to start.", svc["serviceName"], ro.id))
				s.event(ro, fmt.Sprintf("(service %v) rolling back to deployment %s.", svc["serviceName"], ro.oldID))
			}
		}
		svc["deployments"] = []ecs.Deployment{
			dep(ro.oldID, ro.oldTD, "PRIMARY", "COMPLETED", "ECS deployment "+ro.oldID+" completed.", desired, 0, 0),
			dep(ro.id, ro.newTD, "ACTIVE", "FAILED", "ECS deployment circuit breaker: tasks failed to start.", 0, 0, desired),
		}
		svc["taskDefinition"] = ro.oldTD
		svc["runningCount"], svc["pendingCount"] = desired, int32(0)
	}
	events := make([]any, 0, len(ro.events))
	for i := len(ro.events) - 1; i >= 0; i-- { // newest first, as ECS lists them
		events = append(events, ro.events[i])
	}
	if old, ok := svc["events"].([]any); ok {
		events = append(events, old...)
	}
	svc["events"] = events
}

// event records a service event once (s.mu held).
func (s *Simulator) event(ro *rollout, msg string) {
	for _, e := range ro.events {
		if e.Message == msg {
			return
		}
	}
	ro.events = append(ro.events, ecs.Event{ID: fmt.Sprintf("sim-%d-%d", ro.started.UnixNano(), len(ro.events)),
		CreatedAt: ecs.Epoch(s.now().Truncate(time.Second)), Message: msg})
}

// primaryTD is the task definition of the PRIMARY deployment in a service answer.
func primaryTD(svc map[string]any) string {
	deps, _ := svc["deployments"].([]any)
	for _, d := range deps {
		if m, ok := d.(map[string]any); ok && m["status"] == "PRIMARY" {
			td, _ := m["taskDefinition"].(string)
			return td
		}
	}
	return ""
}

func num(v any) int64 {
	switch n := v.(type) {
	case float64:
		return int64(n)
	case int64:
		return n
	case json.Number:
		i, _ := n.Int64()
		return i
	}
	return 0
}

// withConfig adds the service's remembered deployment configuration to a CreateService,
// UpdateService or DeleteService answer (moto drops the strategy fields).
func (s *Simulator) withConfig(resp []byte) []byte {
	var out map[string]any
	if json.Unmarshal(resp, &out) != nil {
		return resp
	}
	svc, ok := out["service"].(map[string]any)
	if !ok {
		return resp
	}
	arn, _ := svc["serviceArn"].(string)
	s.mu.Lock()
	cfg := s.configs[arn]
	s.mu.Unlock()
	if cfg == nil || cfg.dc == nil {
		return resp
	}
	s.rewriteService(svc, nil, cfg)
	b, err := json.Marshal(out)
	if err != nil {
		return resp
	}
	return b
}
