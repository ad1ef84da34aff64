// Package ecsscenario is a scenario server for tests and benchmarks: an HTTP server that speaks the ECS
// JSON protocol for the calls a deploy makes and plays scripted rollouts — IN_PROGRESS → COMPLETED,
// circuit-breaker FAILED with ECS's own rollback, or never completing. moto cannot model rollout states
// (its deployments never progress after UpdateService), so these cases, and only these, run here;
// every call moto supports is tested against moto.
package ecsscenario

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"time"
)

const targetPrefix = "AmazonEC2ContainerServiceV20141113."

// Region and Account are used in the ARNs the server makes up.
const (
	Region  = "ap-southeast-2"
	Account = "123456789012"
)

// Step is one point of a scripted rollout, reached After the UpdateService call that started it.
type Step struct {
	After   time.Duration
	Running int32
	Pending int32
	Failed  int32
	// Rollout is IN_PROGRESS, COMPLETED or FAILED.
	Rollout string
	// Reason is the rolloutStateReason.
	Reason string
	// Event is a service event message added when the step is reached.
	Event string
	// BreakerRollback makes ECS roll back as its circuit breaker does: the new deployment turns ACTIVE
	// and FAILED, and a PRIMARY deployment of the previous task definition completes.
	BreakerRollback bool
}

// Script is the rollout played after one UpdateService call.
type Script []Step

// Completes is a healthy rollout of desired tasks, one task starting every `every`, COMPLETED one
// `every` after the last task runs.
func Completes(desired int32, every time.Duration) Script {
	s := Script{{After: 0, Pending: desired, Rollout: "IN_PROGRESS", Event: "has started 1 tasks"}}
	for i := int32(1); i <= desired; i++ {
		s = append(s, Step{After: time.Duration(i) * every, Running: i, Pending: desired - i, Rollout: "IN_PROGRESS"})
	}
	s = append(s, Step{After: time.Duration(desired+1) * every, Running: desired, Rollout: "COMPLETED",
		Reason: "ECS deployment completed.", Event: "has reached a steady state."})
	return s
}

// BreakerTrips is a rollout whose tasks keep failing until the circuit breaker rolls back at `at`.
func BreakerTrips(desired int32, at time.Duration) Script {
	return Script{
		{After: 0, Pending: desired, Rollout: "IN_PROGRESS", Event: "has started 1 tasks"},
		{After: at / 3, Pending: desired, Failed: 2, Rollout: "IN_PROGRESS", Event: "deployment failed: tasks failed to start"},
		{After: at, Failed: 3, Rollout: "FAILED", BreakerRollback: true,
			Reason: "ECS deployment circuit breaker: tasks failed to start.", Event: "rolling back to the previous deployment (circuit breaker)"},
	}
}

// Stuck never completes: tasks stay pending.
func Stuck(desired int32) Script {
	return Script{{After: 0, Pending: desired, Rollout: "IN_PROGRESS", Event: "has started 1 tasks"}}
}

// Clock is the time the server plays scripts against; share it with the code under test.
type Clock interface{ Now() time.Time }

// FakeClock is a manual clock whose Sleep advances time at once (implements ecsdeploy.Clock).
type FakeClock struct {
	mu sync.Mutex
	t  time.Time
}

// NewFakeClock starts at a fixed instant.
func NewFakeClock() *FakeClock { return &FakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

// Now returns the fake time.
func (c *FakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// Sleep advances the fake time by d.
func (c *FakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
	return nil
}

type wallClock struct{}

func (wallClock) Now() time.Time { return time.Now() }

// Server is the scenario server. Create it with New, seed a service, queue scripts, point the SDK at URL.
type Server struct {
	URL string

	mu       sync.Mutex
	clock    Clock
	srv      *httptest.Server
	families map[string][]map[string]any
	services map[string]*service
	scripts  []Script
	calls    map[string]int
	seq      int
	// reached records, per service, when the current rollout reached COMPLETED or FAILED (for benchmarks).
	reached map[string]time.Time
}

type service struct {
	cluster, name string
	taskDef       string
	desired       int32
	deployments   []*deployment
	events        []event
	script        Script
	started       time.Time
	applied       int
	previous      string
}

type deployment struct {
	ID, Status, TaskDef, Rollout, Reason string
	Desired, Running, Pending, Failed    int32
	Created                              time.Time
}

type event struct {
	ID      string
	Created time.Time
	Message string
}

// New starts a scenario server on 127.0.0.1 using clock (the wall clock when nil).
func New(clock Clock) *Server {
	if clock == nil {
		clock = wallClock{}
	}
	s := &Server{clock: clock, families: map[string][]map[string]any{}, services: map[string]*service{},
		calls: map[string]int{}, reached: map[string]time.Time{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// Queue adds scripts played by the next UpdateService calls, in order; once the queue is empty an
// update completes in two seconds.
func (s *Server) Queue(scripts ...Script) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.scripts = append(s.scripts, scripts...)
}

// Calls returns how many times the operation was called.
func (s *Server) Calls(op string) int { s.mu.Lock(); defer s.mu.Unlock(); return s.calls[op] }

// Reached returns when the current rollout of the service reached COMPLETED or FAILED on the server.
func (s *Server) Reached(service string) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.reached[service]
	return t, ok
}

// Seed registers taskDefinition (RegisterTaskDefinition JSON) and creates a service running it with
// a completed deployment of desired tasks. It returns the task definition ARN.
func (s *Server) Seed(cluster, name string, desired int32, taskDefinition string) (string, error) {
	var td map[string]any
	if err := json.Unmarshal([]byte(taskDefinition), &td); err != nil {
		return "", fmt.Errorf("seed task definition: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	arn, err := s.register(td)
	if err != nil {
		return "", err
	}
	now := s.clock.Now()
	s.services[cluster+"/"+name] = &service{cluster: cluster, name: name, taskDef: arn, desired: desired, started: now,
		deployments: []*deployment{{ID: s.nextID("ecs-svc"), Status: "PRIMARY", TaskDef: arn, Rollout: "COMPLETED",
			Desired: desired, Running: desired, Created: now}}}
	return arn, nil
}

// ServiceTaskDefinition returns the task definition the service runs.
func (s *Server) ServiceTaskDefinition(cluster, name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if svc := s.services[cluster+"/"+name]; svc != nil {
		return svc.taskDef
	}
	return ""
}

func (s *Server) nextID(prefix string) string { s.seq++; return fmt.Sprintf("%s/%d", prefix, s.seq) }

func (s *Server) register(td map[string]any) (string, error) {
	family, _ := td["family"].(string)
	if family == "" {
		return "", fmt.Errorf("family is required")
	}
	delete(td, "tags")
	rev := len(s.families[family]) + 1
	arn := fmt.Sprintf("arn:aws:ecs:%s:%s:task-definition/%s:%d", Region, Account, family, rev)
	td["taskDefinitionArn"], td["revision"], td["status"] = arn, rev, "ACTIVE"
	td["compatibilities"] = []string{"EC2", "FARGATE"}
	td["registeredAt"] = float64(s.clock.Now().Unix())
	s.families[family] = append(s.families[family], td)
	return arn, nil
}

func (s *Server) lookup(ref string) map[string]any {
	short := ref[strings.LastIndex(ref, "/")+1:]
	family, rev, ok := strings.Cut(short, ":")
	revs := s.families[family]
	if len(revs) == 0 {
		return nil
	}
	if !ok {
		for i := len(revs) - 1; i >= 0; i-- {
			if revs[i]["status"] == "ACTIVE" {
				return revs[i]
			}
		}
		return nil
	}
	var n int
	if _, err := fmt.Sscanf(rev, "%d", &n); err != nil || n < 1 || n > len(revs) {
		return nil
	}
	return revs[n-1]
}

// advance plays the service's script up to now.
func (s *Server) advance(svc *service) {
	if len(svc.script) == 0 || len(svc.deployments) == 0 {
		return
	}
	now := s.clock.Now()
	elapsed := now.Sub(svc.started)
	newest := svc.deployments[0]
	for svc.applied < len(svc.script) && svc.script[svc.applied].After <= elapsed {
		st := svc.script[svc.applied]
		svc.applied++
		newest.Running, newest.Pending, newest.Failed = st.Running, st.Pending, st.Failed
		if st.Rollout != "" {
			newest.Rollout = st.Rollout
		}
		if st.Reason != "" {
			newest.Reason = st.Reason
		}
		if st.Event != "" {
			svc.events = append(svc.events, event{ID: s.nextID("event"), Created: now,
				Message: fmt.Sprintf("(service %s) %s", svc.name, st.Event)})
		}
		if st.Rollout == "COMPLETED" {
			// The older deployments are drained once the new one completes.
			svc.deployments = svc.deployments[:1]
		}
		if st.Rollout == "COMPLETED" || st.Rollout == "FAILED" {
			// The scripted instant, not the (later) moment a poll observed it.
			s.reached[svc.name] = svc.started.Add(st.After)
		}
		if st.BreakerRollback && svc.previous != "" {
			newest.Status = "ACTIVE"
			back := &deployment{ID: s.nextID("ecs-svc"), Status: "PRIMARY", TaskDef: svc.previous, Rollout: "COMPLETED",
				Desired: svc.desired, Running: svc.desired, Created: now, Reason: "ECS deployment circuit breaker: rolled back"}
			svc.deployments = []*deployment{back, newest}
			svc.taskDef = svc.previous
		}
	}
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), targetPrefix)
	body, _ := io.ReadAll(r.Body)
	var in map[string]any
	if len(body) > 0 {
		if err := json.Unmarshal(body, &in); err != nil {
			writeErr(w, "SerializationException", err.Error())
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[op]++
	str := func(k string) string { v, _ := in[k].(string); return v }
	cluster := str("cluster")
	if cluster == "" {
		cluster = "default"
	}
	cluster = cluster[strings.LastIndex(cluster, "/")+1:]

	switch op {
	case "DescribeServices":
		var services, failures []any
		names, _ := in["services"].([]any)
		for _, n := range names {
			name, _ := n.(string)
			name = name[strings.LastIndex(name, "/")+1:]
			svc := s.services[cluster+"/"+name]
			if svc == nil {
				failures = append(failures, map[string]any{"arn": name, "reason": "MISSING"})
				continue
			}
			s.advance(svc)
			services = append(services, s.render(svc))
		}
		writeJSON(w, map[string]any{"services": orEmpty(services), "failures": orEmpty(failures)})
	case "DescribeTaskDefinition":
		td := s.lookup(str("taskDefinition"))
		if td == nil {
			writeErr(w, "ClientException", "Unable to describe task definition.")
			return
		}
		writeJSON(w, map[string]any{"taskDefinition": td, "tags": []any{}})
	case "RegisterTaskDefinition":
		arn, err := s.register(in)
		if err != nil {
			writeErr(w, "ClientException", err.Error())
			return
		}
		writeJSON(w, map[string]any{"taskDefinition": s.lookup(arn)})
	case "ListTaskDefinitions":
		var arns []string
		prefix := str("familyPrefix")
		for family, revs := range s.families {
			if prefix != "" && family != prefix {
				continue
			}
			for _, td := range revs {
				if td["status"] == "ACTIVE" {
					arns = append(arns, td["taskDefinitionArn"].(string))
				}
			}
		}
		sort.Slice(arns, func(i, j int) bool { return revision(arns[i]) < revision(arns[j]) })
		if str("sort") == "DESC" {
			for i, j := 0, len(arns)-1; i < j; i, j = i+1, j-1 {
				arns[i], arns[j] = arns[j], arns[i]
			}
		}
		writeJSON(w, map[string]any{"taskDefinitionArns": orEmpty(anySlice(arns))})
	case "UpdateService":
		name := str("service")
		svc := s.services[cluster+"/"+name[strings.LastIndex(name, "/")+1:]]
		if svc == nil {
			writeErr(w, "ServiceNotFoundException", "Service not found.")
			return
		}
		td := s.lookup(str("taskDefinition"))
		if td == nil {
			writeErr(w, "ClientException", "TaskDefinition not found.")
			return
		}
		s.advance(svc)
		script := Completes(svc.desired, time.Second)
		if len(s.scripts) > 0 {
			script, s.scripts = s.scripts[0], s.scripts[1:]
		}
		now := s.clock.Now()
		for _, d := range svc.deployments {
			d.Status = "ACTIVE"
		}
		svc.previous = svc.taskDef
		svc.taskDef = td["taskDefinitionArn"].(string)
		svc.deployments = append([]*deployment{{ID: s.nextID("ecs-svc"), Status: "PRIMARY", TaskDef: svc.taskDef,
			Rollout: "IN_PROGRESS", Desired: svc.desired, Created: now}}, svc.deployments...)
		svc.script, svc.applied, svc.started = script, 0, now
		delete(s.reached, svc.name)
		s.advance(svc)
		writeJSON(w, map[string]any{"service": s.render(svc)})
	default:
		writeErr(w, "UnknownOperationException", "the ECS scenario server does not model "+op+": test it against moto")
	}
}

func (s *Server) render(svc *service) map[string]any {
	var deps, evs []any
	var running, pending int32
	for _, d := range svc.deployments {
		running += d.Running
		pending += d.Pending
		m := map[string]any{"id": d.ID, "status": d.Status, "taskDefinition": d.TaskDef, "desiredCount": d.Desired,
			"runningCount": d.Running, "pendingCount": d.Pending, "failedTasks": d.Failed, "rolloutState": d.Rollout,
			"createdAt": epoch(d.Created), "updatedAt": epoch(s.clock.Now()), "launchType": "FARGATE"}
		if d.Reason != "" {
			m["rolloutStateReason"] = d.Reason
		}
		deps = append(deps, m)
	}
	for i := len(svc.events) - 1; i >= 0; i-- { // newest first, as ECS returns them
		e := svc.events[i]
		evs = append(evs, map[string]any{"id": e.ID, "createdAt": epoch(e.Created), "message": e.Message})
	}
	return map[string]any{
		"serviceName": svc.name, "status": "ACTIVE", "taskDefinition": svc.taskDef, "desiredCount": svc.desired,
		"runningCount": running, "pendingCount": pending, "launchType": "FARGATE",
		"serviceArn":  fmt.Sprintf("arn:aws:ecs:%s:%s:service/%s/%s", Region, Account, svc.cluster, svc.name),
		"clusterArn":  fmt.Sprintf("arn:aws:ecs:%s:%s:cluster/%s", Region, Account, svc.cluster),
		"deployments": orEmpty(deps), "events": orEmpty(evs),
	}
}

func revision(arn string) int {
	var n int
	fmt.Sscanf(arn[strings.LastIndex(arn, ":")+1:], "%d", &n)
	return n
}

func epoch(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

func anySlice(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func orEmpty(v []any) []any {
	if v == nil {
		return []any{}
	}
	return v
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	json.NewEncoder(w).Encode(v)
}

func writeErr(w http.ResponseWriter, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(http.StatusBadRequest)
	json.NewEncoder(w).Encode(map[string]any{"__type": code, "message": msg})
}
