package rollout

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/platformteam/delivery/internal/fake/ecs"
)

// Deployment strategies: moto drops deploymentConfiguration.strategy, bake time and alarms and answers
// ListServiceDeployments with HTTP 500, so the simulator keeps each service's deployment configuration
// itself and plays BLUE_GREEN, LINEAR and CANARY deployments (and ROLLING ones that watch alarms) as
// service deployments moving through ECS's lifecycle stages:
//
//	PRE_SCALE_UP → SCALE_UP → POST_SCALE_UP → TEST_TRAFFIC_SHIFT → POST_TEST_TRAFFIC_SHIFT →
//	PRODUCTION_TRAFFIC_SHIFT (one step, linear steps, or canary then the rest) →
//	POST_PRODUCTION_TRAFFIC_SHIFT → BAKE_TIME → CLEAN_UP → SUCCESSFUL
//
// (ROLLING: SCALE_UP → BAKE_TIME → CLEAN_UP). Traffic moves for real: every step rewrites the forward
// weights of the production (and test) listener rule on the backend's ELBv2 through Cloud. While a
// deployment runs, its CloudWatch alarms are read through Cloud; one in ALARM rolls it back as ECS
// does: ROLLBACK_IN_PROGRESS, all production traffic back to the old target group, the service back to
// the old task definition, then ROLLBACK_SUCCESSFUL with the alarm as the reason. Lifecycle hooks are
// recorded and reported (the Lambda function's ARN) but not invoked: the twin has no Lambda.

// Cloud is what a deployment strategy reads and changes outside ECS, in the account of the request
// whose context it is given (the sandbox's AWS front implements it on moto's ELBv2 and CloudWatch).
type Cloud interface {
	// RuleWeights returns the forward weights of a listener rule by target group ARN.
	RuleWeights(ctx context.Context, ruleARN string) (map[string]int32, error)
	// SetRuleWeights makes the listener rule forward to the target groups with these weights.
	SetRuleWeights(ctx context.Context, ruleARN string, weights map[string]int32) error
	// InAlarm returns those of the named CloudWatch alarms whose state is ALARM.
	InAlarm(ctx context.Context, names []string) ([]string, error)
}

// Service deployment statuses and lifecycle stages (ECS's names).
const (
	statusInProgress         = "IN_PROGRESS"
	statusSuccessful         = "SUCCESSFUL"
	statusRollbackInProgress = "ROLLBACK_IN_PROGRESS"
	statusRollbackSuccessful = "ROLLBACK_SUCCESSFUL"
	statusRollbackFailed     = "ROLLBACK_FAILED"
)

// serviceConfig is what the simulator remembers of a service's configuration (moto forgets it).
type serviceConfig struct {
	dc  *ecs.DeploymentConfiguration
	lbs []ecs.LoadBalancer
}

// usesEngine reports whether the service's deployments are played as service deployments.
func (c *serviceConfig) usesEngine() bool {
	if c == nil || c.dc == nil {
		return false
	}
	switch c.dc.Strategy {
	case "BLUE_GREEN", "LINEAR", "CANARY":
		return true
	case "ROLLING":
		return c.dc.Alarms != nil && c.dc.Alarms.Enable && len(c.dc.Alarms.AlarmNames) > 0
	}
	return false
}

// phase is one lifecycle stage (or one traffic step of PRODUCTION_TRAFFIC_SHIFT).
type phase struct {
	stage string
	dur   time.Duration
	// prod and test, when set, are the new revision's traffic share entered with the phase.
	prod, test *float64
}

// deployment is one service deployment the simulator plays.
type deployment struct {
	arn, serviceARN, clusterARN, serviceName, clusterName string
	id                                                    string
	oldTD, newTD                                          string
	desired                                               int32
	cfg                                                   serviceConfig
	strategy                                              string
	created                                               time.Time
	// req carries the context (the account the update was made in) for the simulator's own calls.
	req *http.Request

	phases     []phase
	idx        int
	phaseStart time.Time
	status     string
	reason     string
	prod, test *float64
	triggered  []string
	rollback   *ecs.Rollback
	finished   *time.Time
	blue       string // the target group serving production before the deployment
	green      string // the one receiving the new revision
	prodRule   string
	testRule   string
	hooks      map[int][]ecs.LifecycleHookDetail
	events     []ecs.Event
	lastErr    string

	lock sync.Mutex // guards the fields above once the deployment is shared
}

func (d *deployment) mu() *sync.Mutex { return &d.lock }

func (d *deployment) terminalLocked() bool {
	d.lock.Lock()
	defer d.lock.Unlock()
	return d.terminal()
}

// resultTD is the task definition the service runs because of this deployment.
func (d *deployment) resultTD() string {
	d.lock.Lock()
	defer d.lock.Unlock()
	switch d.status {
	case statusRollbackInProgress, statusRollbackSuccessful, statusRollbackFailed:
		return d.oldTD
	}
	return d.newTD
}

func (s *Simulator) minute() time.Duration {
	if s.Minute > 0 {
		return s.Minute
	}
	return time.Minute
}

func (s *Simulator) stageTime() time.Duration {
	if s.StageTime > 0 {
		return s.StageTime
	}
	return time.Second
}

func pct(v float64) *float64 { return &v }

// plan is the lifecycle of a deployment under cfg.
func (s *Simulator) plan(cfg serviceConfig) []phase {
	st := s.stageTime()
	dc := cfg.dc
	minutes := func(v *int32, def int32) time.Duration {
		m := def
		if v != nil {
			m = *v
		}
		return time.Duration(m) * s.minute()
	}
	bake := minutes(dc.BakeTimeInMinutes, 0)
	if bake < st {
		bake = st
	}
	if dc.Strategy == "ROLLING" {
		return []phase{{stage: "SCALE_UP", dur: s.rolloutTime()}, {stage: "BAKE_TIME", dur: bake}, {stage: "CLEAN_UP", dur: st}}
	}
	phases := []phase{{stage: "PRE_SCALE_UP", dur: st}, {stage: "SCALE_UP", dur: s.rolloutTime()}, {stage: "POST_SCALE_UP", dur: st},
		{stage: "TEST_TRAFFIC_SHIFT", dur: st, test: pct(100)}, {stage: "POST_TEST_TRAFFIC_SHIFT", dur: st}}
	shift := func(p float64, d time.Duration) {
		if d < st {
			d = st
		}
		phases = append(phases, phase{stage: "PRODUCTION_TRAFFIC_SHIFT", dur: d, prod: pct(p)})
	}
	switch dc.Strategy {
	case "LINEAR":
		step, wait := 10.0, minutes(nil, 6)
		if lc := dc.LinearConfiguration; lc != nil {
			if lc.StepPercent != nil && *lc.StepPercent > 0 {
				step = *lc.StepPercent
			}
			wait = minutes(lc.StepBakeTimeInMinutes, 6)
		}
		for p := step; p < 100-1e-9; p += step {
			shift(math.Round(p*10)/10, wait)
		}
	case "CANARY":
		share, wait := 5.0, minutes(nil, 10)
		if cc := dc.CanaryConfiguration; cc != nil {
			if cc.CanaryPercent != nil && *cc.CanaryPercent > 0 {
				share = *cc.CanaryPercent
			}
			wait = minutes(cc.CanaryBakeTimeInMinutes, 10)
		}
		if share < 100 {
			shift(share, wait)
		}
	}
	shift(100, st) // the last step is not followed by a step wait
	return append(phases, phase{stage: "POST_PRODUCTION_TRAFFIC_SHIFT", dur: st}, phase{stage: "BAKE_TIME", dur: bake}, phase{stage: "CLEAN_UP", dur: st})
}

func (s *Simulator) rolloutTime() time.Duration {
	if s.RolloutTime > 0 {
		return s.RolloutTime
	}
	return 2 * time.Second
}

// recordConfig remembers the deployment configuration and load balancers a CreateService or
// UpdateService request set (s.mu held).
func (s *Simulator) recordConfig(serviceARN string, in ecs.StrategyUpdate) {
	c := s.configs[serviceARN]
	if c == nil {
		c = &serviceConfig{}
		s.configs[serviceARN] = c
	}
	if in.DeploymentConfiguration != nil {
		c.dc = in.DeploymentConfiguration
	}
	if len(in.LoadBalancers) > 0 {
		c.lbs = in.LoadBalancers
	}
}

// startDeployment begins a service deployment for an UpdateService the backend accepted.
func (s *Simulator) startDeployment(r *http.Request, svc map[string]any, oldTD, newTD string, cfg serviceConfig) *deployment {
	serviceARN, _ := svc["serviceArn"].(string)
	clusterARN, _ := svc["clusterArn"].(string)
	name, _ := svc["serviceName"].(string)
	now := s.now()
	s.mu.Lock()
	s.seq++
	id := fmt.Sprintf("sd%012d", s.seq)
	s.mu.Unlock()
	cluster := ecs.ShortName(clusterARN)
	region, account := arnRegionAccount(serviceARN)
	d := &deployment{arn: ecs.ServiceDeploymentARN(region, account, cluster, name, id), serviceARN: serviceARN, clusterARN: clusterARN,
		serviceName: name, clusterName: cluster, id: id, oldTD: oldTD, newTD: newTD, desired: int32(num(svc["desiredCount"])),
		cfg: cfg, strategy: cfg.dc.Strategy, created: now, phaseStart: now, status: statusInProgress, hooks: map[int][]ecs.LifecycleHookDetail{},
		req: r.Clone(context.WithoutCancel(r.Context()))}
	d.req.Header = r.Header.Clone()
	d.phases = s.plan(cfg)
	if d.strategy != "ROLLING" {
		for _, lb := range cfg.lbs {
			if lb.AdvancedConfiguration == nil {
				continue
			}
			a := lb.AdvancedConfiguration
			d.blue, d.green, d.prodRule, d.testRule = lb.TargetGroupArn, a.AlternateTargetGroupArn, a.ProductionListenerRule, a.TestListenerRule
		}
		// The target group serving production now is blue, whichever one the service names first:
		// ECS alternates between the two from one deployment to the next.
		if s.Cloud != nil && d.prodRule != "" {
			if w, err := s.Cloud.RuleWeights(d.req.Context(), d.prodRule); err == nil && w[d.green] > w[d.blue] {
				d.blue, d.green = d.green, d.blue
			}
		}
	}
	for i, ph := range d.phases {
		for _, h := range cfg.dc.LifecycleHooks {
			for _, st := range h.LifecycleStages {
				if st == ph.stage || (st == "PRE_PRODUCTION_TRAFFIC_SHIFT" && ph.stage == "PRODUCTION_TRAFFIC_SHIFT") {
					d.hooks[i] = append(d.hooks[i], ecs.LifecycleHookDetail{HookID: fmt.Sprintf("%s-hook-%d-%d", id, i, len(d.hooks[i])),
						TargetArn: h.HookTargetArn, TargetType: "AWS_LAMBDA", Status: "SUCCEEDED"})
				}
			}
		}
	}
	s.enter(d, 0)
	return d
}

func arnRegionAccount(arn string) (string, string) {
	p := strings.Split(arn, ":")
	if len(p) < 5 {
		return "", ""
	}
	return p[3], p[4]
}

// enter applies phase i's traffic and records its hooks (no lock held: it calls the backend).
func (s *Simulator) enter(d *deployment, i int) error {
	ph := d.phases[i]
	if ph.test != nil && d.testRule != "" {
		if err := s.setWeights(d, d.testRule, *ph.test); err != nil {
			return err
		}
		d.test = ph.test
	}
	if ph.prod != nil && d.prodRule != "" {
		if err := s.setWeights(d, d.prodRule, *ph.prod); err != nil {
			return err
		}
	}
	if ph.prod != nil {
		d.prod = ph.prod
	}
	for _, h := range d.hooks[i] {
		d.event(s.now(), fmt.Sprintf("(service %s) lifecycle hook %s at %s recorded; the twin does not invoke Lambda functions.", d.serviceName, h.TargetArn, ph.stage))
	}
	return nil
}

func (s *Simulator) setWeights(d *deployment, rule string, greenPercent float64) error {
	if s.Cloud == nil {
		return nil
	}
	g := int32(math.Round(greenPercent))
	if greenPercent > 0 && g == 0 {
		g = 1 // ALB weights are whole numbers: the smallest canary still gets traffic
	}
	return s.Cloud.SetRuleWeights(d.req.Context(), rule, map[string]int32{d.blue: 100 - g, d.green: g})
}

func (d *deployment) event(at time.Time, msg string) {
	d.events = append(d.events, ecs.Event{ID: fmt.Sprintf("%s-e%d", d.id, len(d.events)), CreatedAt: ecs.Epoch(at.Truncate(time.Second)), Message: msg})
}

func (d *deployment) terminal() bool {
	return d.status == statusSuccessful || d.status == statusRollbackSuccessful || d.status == statusRollbackFailed
}

// advance plays the deployment up to now: phase after phase, the alarms checked while it runs, the
// rollback when one fires. It is called by the ticker and before every answer about the service.
func (s *Simulator) advance(d *deployment) {
	d.mu().Lock()
	defer d.mu().Unlock()
	now := s.now()
	for !d.terminal() {
		switch d.status {
		case statusInProgress:
			if d.idx >= 1 && d.cfg.dc.Alarms != nil && d.cfg.dc.Alarms.Enable && len(d.cfg.dc.Alarms.AlarmNames) > 0 && s.Cloud != nil {
				firing, err := s.Cloud.InAlarm(d.req.Context(), d.cfg.dc.Alarms.AlarmNames)
				if err != nil {
					d.lastErr = "read alarms: " + err.Error()
				} else if len(firing) > 0 && d.cfg.dc.Alarms.Rollback {
					s.startRollback(d, now, firing)
					continue
				}
			}
			end := d.phaseStart.Add(d.phases[d.idx].dur)
			if now.Before(end) {
				return
			}
			if d.idx+1 == len(d.phases) {
				d.status, d.reason = statusSuccessful, "Service deployment completed."
				d.finished = &end
				d.event(end, fmt.Sprintf("(service %s) has reached a steady state.", d.serviceName))
				return
			}
			if err := s.enter(d, d.idx+1); err != nil {
				d.lastErr = err.Error()
				return // retried on the next advance
			}
			d.idx++
			d.phaseStart = end
		case statusRollbackInProgress:
			end := d.phaseStart.Add(s.stageTime())
			if now.Before(end) {
				return
			}
			d.status = statusRollbackSuccessful
			d.finished = &end
			d.event(end, fmt.Sprintf("(service %s) rolled back to %s: %s", d.serviceName, ecs.ShortName(d.oldTD), d.reason))
		}
	}
}

// startRollback rolls the deployment back as ECS does when an alarm fires: production (and test)
// traffic returns to the blue target group and the service to the old task definition.
func (s *Simulator) startRollback(d *deployment, now time.Time, firing []string) {
	sort.Strings(firing)
	d.triggered = firing
	d.reason = fmt.Sprintf("Service deployment rolled back because the CloudWatch alarm(s) %s went into ALARM during %s.", strings.Join(firing, ", "), d.phases[d.idx].stage)
	d.rollback = &ecs.Rollback{Reason: d.reason, StartedAt: ecs.Epoch(now), ServiceRevisionArn: revisionARN(d, d.oldTD)}
	d.status, d.phaseStart = statusRollbackInProgress, now
	d.event(now, fmt.Sprintf("(service %s) (deployment %s) alarm %s in ALARM: rolling back.", d.serviceName, d.id, strings.Join(firing, ", ")))
	var errs []string
	if d.prodRule != "" {
		if err := s.setWeights(d, d.prodRule, 0); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if d.testRule != "" {
		if err := s.setWeights(d, d.testRule, 0); err != nil {
			errs = append(errs, err.Error())
		}
	}
	d.prod, d.test = pct(0), nil
	if d.testRule != "" {
		d.test = pct(0)
	}
	if d.strategy == "ROLLING" {
		d.prod, d.test = nil, nil
	}
	err := s.call(d.req, "UpdateService", map[string]string{"cluster": d.clusterARN, "service": d.serviceARN, "taskDefinition": d.oldTD}, nil)
	if err != nil {
		errs = append(errs, err.Error())
	}
	if len(errs) > 0 {
		d.status = statusRollbackFailed
		d.reason += " The rollback failed: " + strings.Join(errs, "; ")
		d.finished = &now
	}
}

func revisionARN(d *deployment, td string) string {
	region, account := arnRegionAccount(d.serviceARN)
	return ecs.ServiceRevisionARN(region, account, d.clusterName, d.serviceName, ecs.ShortName(td))
}

// running is how many tasks of the new revision run now (SCALE_UP ramps them up; d's lock held).
func (s *Simulator) running(d *deployment) int32 {
	if d.status == statusRollbackSuccessful || d.status == statusRollbackFailed {
		return 0
	}
	for i, ph := range d.phases {
		if i > d.idx {
			break
		}
		if ph.stage == "SCALE_UP" && i == d.idx {
			frac := float64(s.now().Sub(d.phaseStart)) / float64(ph.dur)
			return int32(math.Min(1, math.Max(0, frac)) * float64(d.desired))
		}
	}
	if d.idx == 0 && d.strategy != "ROLLING" {
		return 0
	}
	return d.desired
}

// view is the service deployment as DescribeServiceDeployments reports it.
func (s *Simulator) view(d *deployment) ecs.ServiceDeployment {
	d.mu().Lock()
	defer d.mu().Unlock()
	stage := d.phases[d.idx].stage
	out := ecs.ServiceDeployment{ServiceDeploymentArn: d.arn, ServiceArn: d.serviceARN, ClusterArn: d.clusterARN, Status: d.status,
		StatusReason: d.reason, LifecycleStage: stage, CreatedAt: ecs.Epoch(d.created), StartedAt: ecs.Epoch(d.created),
		UpdatedAt: ecs.Epoch(s.now()), FinishedAt: nil, DeploymentConfiguration: d.cfg.dc, Rollback: d.rollback,
		TargetServiceRevision: &ecs.ServiceRevisionSummary{Arn: revisionARN(d, d.newTD), RequestedTaskCount: d.desired,
			RunningTaskCount: s.running(d), RequestedProductionTrafficWeight: d.prod, RequestedTestTrafficWeight: d.test},
		LifecycleHookDetails: d.hooks[d.idx]}
	if d.status == statusSuccessful {
		out.LifecycleStage = "CLEAN_UP"
	}
	if d.finished != nil {
		f := ecs.Epoch(*d.finished)
		out.FinishedAt = &f
	}
	if d.oldTD != "" {
		src := ecs.ServiceRevisionSummary{Arn: revisionARN(d, d.oldTD), RequestedTaskCount: d.desired, RunningTaskCount: d.desired}
		if d.prod != nil {
			src.RequestedProductionTrafficWeight = pct(100 - *d.prod)
		}
		if d.status == statusSuccessful {
			src.RunningTaskCount, src.RequestedTaskCount = 0, 0
		}
		out.SourceServiceRevisions = []ecs.ServiceRevisionSummary{src}
	}
	if a := d.cfg.dc.Alarms; a != nil && a.Enable {
		out.Alarms = &ecs.ServiceDeploymentAlarms{AlarmNames: a.AlarmNames, Status: "MONITORING", TriggeredAlarmNames: d.triggered}
		switch {
		case len(d.triggered) > 0:
			out.Alarms.Status = "TRIGGERED"
		case d.terminal():
			out.Alarms.Status = "MONITORING_COMPLETE"
		}
	}
	return out
}

// rewriteService makes a DescribeServices entry tell what the deployment did (s.mu not held).
func (s *Simulator) rewriteService(svc map[string]any, d *deployment, cfg *serviceConfig) {
	if cfg != nil && cfg.dc != nil {
		svc["deploymentConfiguration"] = cfg.dc
	}
	if cfg != nil && len(cfg.lbs) > 0 {
		svc["loadBalancers"] = cfg.lbs
	}
	if d == nil {
		return
	}
	d.mu().Lock()
	status, reason, newTD, oldTD, id := d.status, d.reason, d.newTD, d.oldTD, d.id
	events := append([]ecs.Event(nil), d.events...)
	running := s.running(d)
	d.mu().Unlock()
	desired := d.desired
	if v := int32(num(svc["desiredCount"])); v > 0 {
		desired = v
	}
	created, updated := ecs.Epoch(d.created.Truncate(time.Second)), ecs.Epoch(s.now().Truncate(time.Second))
	dep := func(depID, td, st, state, why string, run, pend, failed int32) ecs.Deployment {
		return ecs.Deployment{ID: depID, Status: st, TaskDefinition: td, DesiredCount: desired, RunningCount: run, PendingCount: pend,
			FailedTasks: failed, LaunchType: "FARGATE", RolloutState: state, RolloutStateReason: why, CreatedAt: created, UpdatedAt: updated}
	}
	oldID := "ecs-svc/" + id + "-old"
	switch status {
	case statusSuccessful:
		svc["deployments"] = []ecs.Deployment{dep("ecs-svc/"+id, newTD, "PRIMARY", "COMPLETED", "ECS deployment ecs-svc/"+id+" completed.", desired, 0, 0)}
		svc["taskDefinition"] = newTD
	case statusRollbackInProgress, statusRollbackSuccessful, statusRollbackFailed:
		svc["deployments"] = []ecs.Deployment{
			dep(oldID, oldTD, "PRIMARY", "COMPLETED", "ECS deployment "+oldID+" completed.", desired, 0, 0),
			dep("ecs-svc/"+id, newTD, "ACTIVE", "FAILED", reason, 0, 0, 0),
		}
		svc["taskDefinition"] = oldTD
	default:
		svc["deployments"] = []ecs.Deployment{
			dep("ecs-svc/"+id, newTD, "PRIMARY", "IN_PROGRESS", "ECS deployment ecs-svc/"+id+" in progress.", running, desired-running, 0),
			dep(oldID, oldTD, "ACTIVE", "COMPLETED", "ECS deployment "+oldID+" completed.", desired, 0, 0),
		}
		svc["taskDefinition"] = newTD
	}
	out := make([]any, 0, len(events))
	for i := len(events) - 1; i >= 0; i-- {
		out = append(out, events[i])
	}
	if old, ok := svc["events"].([]any); ok {
		out = append(out, old...)
	}
	svc["events"] = out
}

// listDeployments answers ListServiceDeployments from the deployments played (moto answers 500).
func (s *Simulator) listDeployments(w http.ResponseWriter, body []byte) {
	var in ecs.ListServiceDeploymentsRequest
	if err := json.Unmarshal(body, &in); err != nil {
		ecs.WriteError(w, "InvalidParameterException", err.Error())
		return
	}
	cluster := ecs.ShortName(in.Cluster)
	if cluster == "" {
		cluster = "default"
	}
	s.mu.Lock()
	var ds []*deployment
	for _, d := range s.deployments {
		if d.clusterName == cluster && (d.serviceName == ecs.ShortName(in.Service) || d.serviceARN == in.Service) {
			ds = append(ds, d)
		}
	}
	s.mu.Unlock()
	out := ecs.ListServiceDeploymentsResponse{ServiceDeployments: []ecs.ServiceDeploymentBrief{}}
	sort.Slice(ds, func(i, j int) bool {
		return ds[i].created.After(ds[j].created) || (ds[i].created.Equal(ds[j].created) && ds[i].id > ds[j].id)
	})
	for _, d := range ds {
		s.advance(d)
		v := s.view(d)
		if len(in.Status) > 0 && !contains(in.Status, v.Status) {
			continue
		}
		out.ServiceDeployments = append(out.ServiceDeployments, ecs.ServiceDeploymentBrief{ServiceDeploymentArn: v.ServiceDeploymentArn,
			ServiceArn: v.ServiceArn, ClusterArn: v.ClusterArn, TargetServiceRevisionArn: v.TargetServiceRevision.Arn, Status: v.Status,
			StatusReason: v.StatusReason, CreatedAt: v.CreatedAt, StartedAt: v.StartedAt, FinishedAt: v.FinishedAt})
	}
	ecs.WriteJSON(w, out)
}

// describeDeployments answers DescribeServiceDeployments.
func (s *Simulator) describeDeployments(w http.ResponseWriter, body []byte) {
	var in ecs.DescribeServiceDeploymentsRequest
	if err := json.Unmarshal(body, &in); err != nil {
		ecs.WriteError(w, "InvalidParameterException", err.Error())
		return
	}
	out := ecs.DescribeServiceDeploymentsResponse{ServiceDeployments: []ecs.ServiceDeployment{}, Failures: []ecs.Failure{}}
	for _, arn := range in.ServiceDeploymentArns {
		s.mu.Lock()
		d := s.deployments[arn]
		s.mu.Unlock()
		if d == nil {
			out.Failures = append(out.Failures, ecs.Failure{Arn: arn, Reason: "MISSING"})
			continue
		}
		s.advance(d)
		out.ServiceDeployments = append(out.ServiceDeployments, s.view(d))
	}
	ecs.WriteJSON(w, out)
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// Run advances every running service deployment every tick until ctx ends, so traffic moves and
// alarms are read whether anyone polls or not (ECS does not wait for its callers).
func (s *Simulator) Run(ctx context.Context, tick time.Duration) {
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		s.mu.Lock()
		var live []*deployment
		for _, d := range s.deployments {
			if !d.terminalLocked() {
				live = append(live, d)
			}
		}
		s.mu.Unlock()
		for _, d := range live {
			s.advance(d)
		}
	}
}
