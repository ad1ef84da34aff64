// Package scenario is a scenario server for tests and benchmarks: an HTTP server that speaks the ECS
// JSON protocol for the calls a deploy makes and plays scripted rollouts — IN_PROGRESS → COMPLETED,
// circuit-breaker FAILED with ECS's own rollback, or never completing. moto cannot model rollout states
// (its deployments never progress after UpdateService), so these cases, and only these, run here;
// every call moto supports is tested against moto.
package scenario

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"time"

	"github.com/platformteam/delivery/internal/fake/ecs"
)

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

// DeploymentStep is one point of a scripted service deployment (blue/green, linear, canary), reached
// After the UpdateService call that started it.
type DeploymentStep struct {
	After time.Duration
	// Status is the service deployment's status (IN_PROGRESS, ROLLBACK_IN_PROGRESS, SUCCESSFUL,
	// ROLLBACK_SUCCESSFUL, ROLLBACK_FAILED, STOPPED...), Stage its lifecycle stage.
	Status, Stage string
	// Production and Test are the new revision's traffic weights (nil: not reported).
	Production, Test *float64
	Running          int32
	Reason           string
	// Triggered are the alarms ECS saw in ALARM; RollbackReason the rollback's own reason.
	Triggered      []string
	RollbackReason string
	Hooks          []ecs.LifecycleHookDetail
}

// DeploymentScript is the service deployment played after one UpdateService call. The service's
// deployments list follows it: the new deployment COMPLETES with SUCCESSFUL, and ROLLBACK_SUCCESSFUL
// puts the previous task definition back as ECS does.
type DeploymentScript []DeploymentStep

// Weight is a traffic weight for a DeploymentStep.
func Weight(w float64) *float64 { return &w }

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
	// deploymentScripts are played, in order, by the next UpdateService calls as service deployments.
	deploymentScripts []DeploymentScript
	deployments       map[string]*serviceDeployment // by ARN
	updates           []map[string]any
}

type serviceDeployment struct {
	arn, service, cluster string
	taskDef               string
	created               time.Time
	script                DeploymentScript
	desired               int32
}

type service struct {
	loadBalancers []ecs.LoadBalancer
	deployConfig  *ecs.DeploymentConfiguration
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
		calls: map[string]int{}, reached: map[string]time.Time{}, deployments: map[string]*serviceDeployment{}}
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

// QueueDeployment adds service deployment scripts played by the next UpdateService calls, in order
// (before any Queue script).
func (s *Server) QueueDeployment(scripts ...DeploymentScript) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deploymentScripts = append(s.deploymentScripts, scripts...)
}

// SetLoadBalancers gives a seeded service its load balancers (DescribeServices reports them).
func (s *Server) SetLoadBalancers(cluster, name string, lbs []ecs.LoadBalancer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if svc := s.services[cluster+"/"+name]; svc != nil {
		svc.loadBalancers = lbs
	}
}

// Updates returns the bodies of the UpdateService calls received, in order.
func (s *Server) Updates() []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]map[string]any(nil), s.updates...)
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
	arn := ecs.TaskDefinitionARN(Region, Account, family, rev)
	td["taskDefinitionArn"], td["revision"], td["status"] = arn, rev, "ACTIVE"
	td["compatibilities"] = []string{"EC2", "FARGATE"}
	td["registeredAt"] = float64(s.clock.Now().Unix())
	s.families[family] = append(s.families[family], td)
	return arn, nil
}

func (s *Server) lookup(ref string) map[string]any {
	family, rev := ecs.ParseTaskDefinition(ref)
	revs := s.families[family]
	if len(revs) == 0 {
		return nil
	}
	if rev == 0 {
		for i := len(revs) - 1; i >= 0; i-- {
			if revs[i]["status"] == "ACTIVE" {
				return revs[i]
			}
		}
		return nil
	}
	if rev < 1 || rev > len(revs) {
		return nil
	}
	return revs[rev-1]
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
	op, _ := ecs.Operation(r.Header)
	body, _ := io.ReadAll(r.Body)
	// decode reads the body as the operation's request; an empty body is an empty request.
	decode := func(v any) bool {
		if len(body) == 0 {
			return true
		}
		if err := json.Unmarshal(body, v); err != nil {
			ecs.WriteError(w, "SerializationException", err.Error())
			return false
		}
		return true
	}
	var generic map[string]any
	if !decode(&generic) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[op]++

	switch op {
	case "DescribeServices":
		var in ecs.DescribeServicesRequest
		if !decode(&in) {
			return
		}
		out := ecs.DescribeServicesResponse{Services: []ecs.Service{}, Failures: []ecs.Failure{}}
		for _, n := range in.Services {
			name := ecs.ShortName(n)
			svc := s.services[clusterName(in.Cluster)+"/"+name]
			if svc == nil {
				out.Failures = append(out.Failures, ecs.Failure{Arn: name, Reason: "MISSING"})
				continue
			}
			s.advance(svc)
			out.Services = append(out.Services, s.render(svc))
		}
		ecs.WriteJSON(w, out)
	case "DescribeTaskDefinition":
		var in ecs.DescribeTaskDefinitionRequest
		if !decode(&in) {
			return
		}
		td := s.lookup(in.TaskDefinition)
		if td == nil {
			ecs.WriteError(w, "ClientException", "Unable to describe task definition.")
			return
		}
		ecs.WriteJSON(w, map[string]any{"taskDefinition": td, "tags": []any{}})
	case "RegisterTaskDefinition":
		if generic == nil {
			generic = map[string]any{}
		}
		arn, err := s.register(generic)
		if err != nil {
			ecs.WriteError(w, "ClientException", err.Error())
			return
		}
		ecs.WriteJSON(w, map[string]any{"taskDefinition": s.lookup(arn)})
	case "ListTaskDefinitions":
		var in ecs.ListTaskDefinitionsRequest
		if !decode(&in) {
			return
		}
		arns := []string{}
		for family, revs := range s.families {
			if in.FamilyPrefix != "" && family != in.FamilyPrefix {
				continue
			}
			for _, td := range revs {
				if td["status"] == "ACTIVE" {
					arns = append(arns, td["taskDefinitionArn"].(string))
				}
			}
		}
		sort.Slice(arns, func(i, j int) bool { return revision(arns[i]) < revision(arns[j]) })
		if in.Sort == "DESC" {
			for i, j := 0, len(arns)-1; i < j; i, j = i+1, j-1 {
				arns[i], arns[j] = arns[j], arns[i]
			}
		}
		ecs.WriteJSON(w, map[string]any{"taskDefinitionArns": arns})
	case "UpdateService":
		var in ecs.UpdateServiceRequest
		if !decode(&in) {
			return
		}
		svc := s.services[clusterName(in.Cluster)+"/"+ecs.ShortName(in.Service)]
		if svc == nil {
			ecs.WriteError(w, "ServiceNotFoundException", "Service not found.")
			return
		}
		td := s.lookup(in.TaskDefinition)
		if td == nil {
			ecs.WriteError(w, "ClientException", "TaskDefinition not found.")
			return
		}
		s.advance(svc)
		s.updates = append(s.updates, generic)
		var in2 ecs.StrategyUpdate
		_ = json.Unmarshal(body, &in2)
		if in2.DeploymentConfiguration != nil {
			svc.deployConfig = in2.DeploymentConfiguration
		}
		if len(in2.LoadBalancers) > 0 {
			svc.loadBalancers = in2.LoadBalancers
		}
		script := Completes(svc.desired, time.Second)
		now := s.clock.Now()
		if len(s.deploymentScripts) > 0 {
			var ds DeploymentScript
			ds, s.deploymentScripts = s.deploymentScripts[0], s.deploymentScripts[1:]
			script = s.startDeployment(svc, ds, td["taskDefinitionArn"].(string), now)
		} else if len(s.scripts) > 0 {
			script, s.scripts = s.scripts[0], s.scripts[1:]
		}
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
		ecs.WriteJSON(w, ecs.ServiceResponse{Service: s.render(svc)})
	case "ListServiceDeployments":
		var in ecs.ListServiceDeploymentsRequest
		if !decode(&in) {
			return
		}
		out := ecs.ListServiceDeploymentsResponse{ServiceDeployments: []ecs.ServiceDeploymentBrief{}}
		for _, sd := range s.deployments {
			if sd.cluster != clusterName(in.Cluster) || sd.service != ecs.ShortName(in.Service) {
				continue
			}
			v := s.renderDeployment(sd)
			out.ServiceDeployments = append(out.ServiceDeployments, ecs.ServiceDeploymentBrief{ServiceDeploymentArn: v.ServiceDeploymentArn,
				ServiceArn: v.ServiceArn, ClusterArn: v.ClusterArn, Status: v.Status, StatusReason: v.StatusReason, CreatedAt: v.CreatedAt,
				StartedAt: v.StartedAt, FinishedAt: v.FinishedAt, TargetServiceRevisionArn: v.TargetServiceRevision.Arn})
		}
		sort.Slice(out.ServiceDeployments, func(i, j int) bool { return out.ServiceDeployments[i].CreatedAt > out.ServiceDeployments[j].CreatedAt })
		ecs.WriteJSON(w, out)
	case "DescribeServiceDeployments":
		var in ecs.DescribeServiceDeploymentsRequest
		if !decode(&in) {
			return
		}
		out := ecs.DescribeServiceDeploymentsResponse{ServiceDeployments: []ecs.ServiceDeployment{}, Failures: []ecs.Failure{}}
		for _, arn := range in.ServiceDeploymentArns {
			sd := s.deployments[arn]
			if sd == nil {
				out.Failures = append(out.Failures, ecs.Failure{Arn: arn, Reason: "MISSING"})
				continue
			}
			if svc := s.services[sd.cluster+"/"+sd.service]; svc != nil {
				s.advance(svc)
			}
			out.ServiceDeployments = append(out.ServiceDeployments, s.renderDeployment(sd))
		}
		ecs.WriteJSON(w, out)
	default:
		ecs.WriteError(w, "UnknownOperationException", "the ECS scenario server does not model "+op+": test it against moto")
	}
}

// clusterName is the cluster a request names ("default" when it names none).
func clusterName(ref string) string {
	if ref == "" {
		return "default"
	}
	return ecs.ShortName(ref)
}

func (s *Server) render(svc *service) ecs.Service {
	out := ecs.Service{
		ServiceName: svc.name, Status: "ACTIVE", TaskDefinition: svc.taskDef, DesiredCount: svc.desired, LaunchType: "FARGATE",
		ServiceArn:  ecs.ServiceARN(Region, Account, svc.cluster, svc.name),
		ClusterArn:  ecs.ClusterARN(Region, Account, svc.cluster),
		Deployments: []ecs.Deployment{}, Events: []ecs.Event{},
		LoadBalancers: svc.loadBalancers, DeploymentConfiguration: svc.deployConfig,
	}
	for _, d := range svc.deployments {
		out.RunningCount += d.Running
		out.PendingCount += d.Pending
		out.Deployments = append(out.Deployments, ecs.Deployment{ID: d.ID, Status: d.Status, TaskDefinition: d.TaskDef,
			DesiredCount: d.Desired, RunningCount: d.Running, PendingCount: d.Pending, FailedTasks: d.Failed,
			RolloutState: d.Rollout, RolloutStateReason: d.Reason, LaunchType: "FARGATE",
			CreatedAt: ecs.Epoch(d.Created), UpdatedAt: ecs.Epoch(s.clock.Now())})
	}
	for i := len(svc.events) - 1; i >= 0; i-- { // newest first, as ECS returns them
		e := svc.events[i]
		out.Events = append(out.Events, ecs.Event{ID: e.ID, CreatedAt: ecs.Epoch(e.Created), Message: e.Message})
	}
	return out
}

func revision(arn string) int {
	_, n := ecs.ParseTaskDefinition(arn)
	return n
}

// startDeployment records a scripted service deployment and returns the rollout script the service's
// deployments list follows (s.mu held).
func (s *Server) startDeployment(svc *service, ds DeploymentScript, taskDef string, now time.Time) Script {
	s.seq++
	arn := ecs.ServiceDeploymentARN(Region, Account, svc.cluster, svc.name, fmt.Sprintf("sd-%d", s.seq))
	s.deployments[arn] = &serviceDeployment{arn: arn, service: svc.name, cluster: svc.cluster, taskDef: taskDef, created: now, script: ds, desired: svc.desired}
	var script Script
	for _, st := range ds {
		step := Step{After: st.After, Running: st.Running, Pending: svc.desired - st.Running, Rollout: "IN_PROGRESS", Reason: st.Reason}
		switch st.Status {
		case "SUCCESSFUL":
			step.Rollout, step.Running, step.Pending = "COMPLETED", svc.desired, 0
		case "ROLLBACK_SUCCESSFUL":
			step.Rollout, step.BreakerRollback, step.Running, step.Pending = "FAILED", true, 0, 0
		case "ROLLBACK_FAILED", "STOPPED":
			step.Rollout = "FAILED"
		}
		script = append(script, step)
	}
	return script
}

// renderDeployment is a scripted service deployment at the current time (s.mu held).
func (s *Server) renderDeployment(sd *serviceDeployment) ecs.ServiceDeployment {
	now := s.clock.Now()
	elapsed := now.Sub(sd.created)
	out := ecs.ServiceDeployment{ServiceDeploymentArn: sd.arn, ServiceArn: ecs.ServiceARN(Region, Account, sd.cluster, sd.service),
		ClusterArn: ecs.ClusterARN(Region, Account, sd.cluster), Status: "PENDING", CreatedAt: ecs.Epoch(sd.created),
		StartedAt: ecs.Epoch(sd.created), UpdatedAt: ecs.Epoch(now),
		TargetServiceRevision: &ecs.ServiceRevisionSummary{Arn: ecs.ServiceRevisionARN(Region, Account, sd.cluster, sd.service, ecs.ShortName(sd.taskDef)),
			RequestedTaskCount: sd.desired}}
	for _, st := range sd.script {
		if st.After > elapsed {
			break
		}
		out.Status, out.LifecycleStage, out.StatusReason = st.Status, st.Stage, st.Reason
		out.TargetServiceRevision.RunningTaskCount = st.Running
		out.TargetServiceRevision.RequestedProductionTrafficWeight = st.Production
		out.TargetServiceRevision.RequestedTestTrafficWeight = st.Test
		out.LifecycleHookDetails = st.Hooks
		if len(st.Triggered) > 0 {
			out.Alarms = &ecs.ServiceDeploymentAlarms{Status: "TRIGGERED", TriggeredAlarmNames: st.Triggered}
		}
		if st.RollbackReason != "" {
			out.Rollback = &ecs.Rollback{Reason: st.RollbackReason, StartedAt: ecs.Epoch(sd.created.Add(st.After))}
		}
		switch st.Status {
		case "SUCCESSFUL", "ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED", "STOPPED":
			f := ecs.Epoch(sd.created.Add(st.After))
			out.FinishedAt = &f
		}
	}
	return out
}
