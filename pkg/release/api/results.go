package api

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/platformteam/delivery/pkg/artifact"
	"github.com/platformteam/delivery/pkg/diagnosis"
	"github.com/platformteam/delivery/pkg/supplychain/result"
)

// Publication is what `image push` and `image promote` return: the artifact of the image now in the
// environment's registry.
type Publication struct {
	Artifact *artifact.Artifact `json:"artifact"`
	// Existed is true when the registry already held this digest under the commit's tag, so nothing
	// was uploaded (tags are immutable).
	Existed bool `json:"existed"`
	// PromotedFrom is the image copied, by digest, from another registry or repository (zero when the
	// image was pushed from a build).
	PromotedFrom artifact.Pinned `json:"promoted_from,omitzero"`
	MediaType    string          `json:"media_type"`
	Size         int64           `json:"size"`
	// Attestation is what publish attached to the digest: signature, SLSA provenance, SBOM
	// (docs/supply-chain.md); nil when the image was found or promoted rather than pushed.
	Attestation *result.Attestation `json:"attestation,omitempty"`
}

// Rollout is what a deploy changed on one target, as the pipeline reports it: what ran before, what
// runs now, and what this deploy created.
type Rollout struct {
	Target  Target  `json:"target"`
	Outcome Outcome `json:"outcome"`
	// What names the versioned thing: "task definition" or "helm revision".
	What string `json:"what"`
	// Previous ran before the deploy ("" for a first install), Current runs when the deploy returned.
	Previous string `json:"previous"`
	Current  string `json:"current"`
	// Created is what the deploy created ("" when unchanged or refused before creating anything).
	Created string `json:"created,omitempty"`
	// Image is what the deploy deployed; PreviousImage what ran before ("" when unknown).
	Image         string `json:"image"`
	PreviousImage string `json:"previous_image,omitempty"`
	Reason        string `json:"reason,omitempty"`
	// Strategy summarises a blue/green, linear or canary deployment: its stages and traffic steps.
	Strategy string `json:"strategy,omitempty"`
	// Diagnosis is what the platform said about a failed rollout (stopped tasks, pods, events).
	Diagnosis *diagnosis.Diagnosis `json:"diagnosis,omitempty"`
}

// Changed reports whether the target runs something else than before.
func (r Rollout) Changed() bool { return r.Outcome == Deployed }

// ECSChange is one field that differs between the live task definition and the next revision.
type ECSChange struct {
	// Path names the field, e.g. containerDefinitions[app].image.
	Path string `json:"path"`
	// Old and New are JSON renderings of the values; empty means absent.
	Old string `json:"old,omitempty"`
	New string `json:"new,omitempty"`
}

func (c ECSChange) String() string {
	switch {
	case c.Old == "":
		return fmt.Sprintf("+ %s: %s", c.Path, c.New)
	case c.New == "":
		return fmt.Sprintf("- %s: %s", c.Path, c.Old)
	default:
		return fmt.Sprintf("~ %s: %s → %s", c.Path, c.Old, c.New)
	}
}

// ECSResult is what an ECS deploy did (`release ecs deploy`).
type ECSResult struct {
	Cluster   string `json:"cluster"`
	Service   string `json:"service"`
	Container string `json:"container"`
	Image     string `json:"image"`
	// PreviousImage is the container's image in the task definition the service ran before.
	PreviousImage string `json:"previous_image,omitempty"`
	// PreviousTaskDefinition is the ARN the service ran before the deploy.
	PreviousTaskDefinition string `json:"previous_task_definition"`
	// TaskDefinition is the ARN registered for this deploy (empty when unchanged).
	TaskDefinition string      `json:"task_definition,omitempty"`
	Changes        []ECSChange `json:"changes"`
	Outcome        Outcome     `json:"outcome"`
	// Failure is why the rollout failed (circuit-breaker, replaced, timeout), Reason the details.
	Failure string `json:"failure,omitempty"`
	Reason  string `json:"reason,omitempty"`
	// Diagnosis is what ECS said about the failed revision: its stopped tasks and the last events.
	Diagnosis *diagnosis.Diagnosis `json:"diagnosis,omitempty"`
	// RunningTaskDefinition is what the service runs when the deploy returns.
	RunningTaskDefinition string  `json:"running_task_definition"`
	Polls                 int     `json:"polls"`
	Seconds               float64 `json:"seconds"`
	// Strategy is the deployment strategy the deploy asked for (empty: the service's own, not changed).
	Strategy string `json:"strategy,omitempty"`
	// ServiceDeployment is the ARN of the service deployment a blue/green, linear or canary deploy followed.
	ServiceDeployment string `json:"service_deployment,omitempty"`
	// Stages are the lifecycle stages and traffic steps the followed service deployment went through.
	Stages []ECSStage `json:"stages,omitempty"`
}

// ECSStage is one step of a service deployment as the deploy saw it.
type ECSStage struct {
	// Status is the service deployment's status (IN_PROGRESS, ROLLBACK_IN_PROGRESS, SUCCESSFUL...).
	Status string `json:"status"`
	// Stage is the lifecycle stage (SCALE_UP, PRODUCTION_TRAFFIC_SHIFT, BAKE_TIME...).
	Stage string `json:"stage,omitempty"`
	// ProductionTrafficPercent and TestTrafficPercent are the new revision's requested traffic shares.
	ProductionTrafficPercent *float64 `json:"production_traffic_percent,omitempty"`
	TestTrafficPercent       *float64 `json:"test_traffic_percent,omitempty"`
	// Seconds is when the deploy first saw it, from the start of the wait.
	Seconds float64 `json:"seconds"`
}

// Rollout is the result as the pipeline reports it.
func (r ECSResult) Rollout() Rollout {
	return Rollout{Target: ECS, Outcome: r.Outcome, What: "task definition", Previous: ShortARN(r.PreviousTaskDefinition),
		Current: ShortARN(r.RunningTaskDefinition), Created: ShortARN(r.TaskDefinition), Image: r.Image, PreviousImage: r.PreviousImage,
		Reason: r.Reason, Strategy: r.StrategySummary(), Diagnosis: r.Diagnosis}
}

// StrategySummary is the followed service deployment in one line, e.g. "LINEAR: SCALE_UP,
// PRODUCTION_TRAFFIC_SHIFT 50% → 100%, BAKE_TIME, CLEAN_UP, SUCCESSFUL", or for a rollback "...,
// PRODUCTION_TRAFFIC_SHIFT 10%, ROLLBACK_IN_PROGRESS, ROLLBACK_SUCCESSFUL" ("" when none was followed).
func (r ECSResult) StrategySummary() string {
	if len(r.Stages) == 0 {
		return ""
	}
	var parts []string
	lastStage, lastStatus := "", ""
	for _, s := range r.Stages {
		running := s.Status == "IN_PROGRESS" || s.Status == "PENDING"
		switch {
		case !running && s.Status != lastStatus:
			parts = append(parts, s.Status)
		case running && s.Stage != "" && s.Stage != lastStage:
			part := s.Stage
			if s.Stage == "PRODUCTION_TRAFFIC_SHIFT" && s.ProductionTrafficPercent != nil {
				part += fmt.Sprintf(" %g%%", *s.ProductionTrafficPercent)
			}
			parts = append(parts, part)
		case running && s.Stage == "PRODUCTION_TRAFFIC_SHIFT" && s.ProductionTrafficPercent != nil && len(parts) > 0:
			parts[len(parts)-1] += fmt.Sprintf(" → %g%%", *s.ProductionTrafficPercent)
		}
		if s.Stage != "" {
			lastStage = s.Stage
		}
		lastStatus = s.Status
	}
	kind := r.Strategy
	if kind == "" {
		kind = "service deployment"
	}
	return kind + ": " + strings.Join(parts, ", ")
}

// EKSResult is what a Helm deploy did (`release eks deploy`).
type EKSResult struct {
	Release      string `json:"release"`
	Namespace    string `json:"namespace"`
	Chart        string `json:"chart"`
	ChartVersion string `json:"chart_version"`
	Image        string `json:"image"`
	// PreviousImage is the image the deployed revision ran before the deploy ("" when none or unknown).
	PreviousImage string   `json:"previous_image,omitempty"`
	Action        string   `json:"action"` // install, upgrade or none
	Healed        []string `json:"healed"`
	// OldRevision is the deployed revision before (0: none); NewRevision the one this deploy created;
	// CurrentRevision the deployed revision when the deploy returned (after a rollback, a new number).
	OldRevision     int     `json:"old_revision"`
	NewRevision     int     `json:"new_revision"`
	CurrentRevision int     `json:"current_revision"`
	Outcome         Outcome `json:"outcome"`
	Reason          string  `json:"reason,omitempty"`
	Seconds         float64 `json:"seconds"`
	// Diagnosis is what the cluster said about the failed revision's pods: container states, events.
	Diagnosis *diagnosis.Diagnosis `json:"diagnosis,omitempty"`
}

// Rollout is the result as the pipeline reports it.
func (r EKSResult) Rollout() Rollout {
	ro := Rollout{Target: EKS, Outcome: r.Outcome, What: "helm revision", Previous: revision(r.OldRevision),
		Current: revision(r.CurrentRevision), Image: r.Image, PreviousImage: r.PreviousImage, Reason: r.Reason, Diagnosis: r.Diagnosis}
	if r.Outcome != Unchanged {
		ro.Created = revision(r.NewRevision)
	}
	return ro
}

// ECSRollback is what `release ecs rollback` did.
type ECSRollback struct {
	Cluster string `json:"cluster"`
	Service string `json:"service"`
	// From and To are task definition ARNs: what ran before and what runs now.
	From    string  `json:"from"`
	To      string  `json:"to"`
	Image   string  `json:"image"`
	Polls   int     `json:"polls"`
	Seconds float64 `json:"seconds"`
}

// EKSRollback is what `release eks rollback` did.
type EKSRollback struct {
	Release string `json:"release"`
	// From is the deployed revision before; Target the revision whose content was restored; To the new
	// revision Helm recorded for the rollback.
	From    int     `json:"from"`
	Target  int     `json:"target"`
	To      int     `json:"to"`
	Seconds float64 `json:"seconds"`
}

// Verify sources of a checked digest.
const (
	SourceTaskDigest     = "task container imageDigest"
	SourceTaskDefinition = "task definition image (ECS reported no imageDigest)"
	SourceServiceTaskDef = "service task definition (no running tasks listed)"
	SourcePodImageID     = "pod status imageID"
	SourcePodSpec        = "pod spec image (no imageID reported)"
)

// Check is one running unit compared with the artifact.
type Check struct {
	Platform  Target `json:"platform"`
	Target    string `json:"target"` // task ARN or namespace/pod
	Container string `json:"container"`
	Image     string `json:"image"`
	Digest    string `json:"digest"` // what was found ("" if none)
	Source    string `json:"source"`
	Fallback  bool   `json:"fallback"`
	OK        bool   `json:"ok"`
}

// VerifyReport is the outcome of `release verify`.
type VerifyReport struct {
	Digest     string  `json:"digest"`
	Checks     []Check `json:"checks"`
	Mismatches int     `json:"mismatches"`
	Fallbacks  int     `json:"fallbacks"`
	// Problems are failures that are not a single unit's mismatch (e.g. nothing running, or a running
	// digest that is not signed and attested).
	Problems []string `json:"problems"`
	// SupplyChain is the deploy gate's decision for every distinct digest that runs (any commit).
	SupplyChain []result.Decision `json:"supply_chain,omitempty"`
}

// Add records one check.
func (r *VerifyReport) Add(c Check) {
	if !c.OK {
		r.Mismatches++
	}
	if c.Fallback {
		r.Fallbacks++
	}
	r.Checks = append(r.Checks, c)
}

// Problem records a failure that is not one unit's mismatch.
func (r *VerifyReport) Problem(format string, a ...any) {
	r.Problems = append(r.Problems, fmt.Sprintf(format, a...))
}

// Merge appends another report's checks and problems.
func (r *VerifyReport) Merge(o VerifyReport) {
	for _, c := range o.Checks {
		r.Add(c)
	}
	r.Problems = append(r.Problems, o.Problems...)
}

// Err is nil when every check matched, nothing failed, and (if strict) nothing needed a fallback.
func (r *VerifyReport) Err(strict bool) error {
	var msgs []string
	for _, c := range r.Checks {
		if !c.OK {
			found := c.Digest
			if found == "" {
				found = "no digest (" + c.Image + ")"
			}
			msgs = append(msgs, fmt.Sprintf("%s %s container %s runs %s", c.Platform, c.Target, c.Container, found))
		}
	}
	msgs = append(msgs, r.Problems...)
	if strict && r.Fallbacks > 0 {
		msgs = append(msgs, fmt.Sprintf("%d check(s) relied on a fallback source and --strict is set", r.Fallbacks))
	}
	if len(msgs) == 0 {
		return nil
	}
	return fmt.Errorf("%w %s: %s", ErrMismatch, r.Digest, strings.Join(msgs, "; "))
}

// ErrMismatch is returned (wrapped) when something runs another digest or nothing runs at all.
var ErrMismatch = errors.New("running digest does not match the artifact")

// Print writes one line per check.
func (r *VerifyReport) Print(w io.Writer) {
	for _, c := range r.Checks {
		mark := "ok  "
		if !c.OK {
			mark = "FAIL"
		}
		fmt.Fprintf(w, "%s %s %s (%s): %s [%s]\n", mark, c.Platform, c.Target, c.Container, orNone(c.Digest, "none"), c.Source)
	}
	for _, p := range r.Problems {
		fmt.Fprintf(w, "FAIL %s\n", p)
	}
	fmt.Fprintf(w, "%d check(s), %d mismatch(es), %d fallback(s); expected %s\n", len(r.Checks), r.Mismatches, r.Fallbacks, r.Digest)
}

// ShortARN is the last path element of an ARN ("family:revision" for a task definition).
func ShortARN(arn string) string {
	if i := strings.LastIndex(arn, "/"); i >= 0 {
		return arn[i+1:]
	}
	return arn
}

func revision(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

func orNone(s, none string) string {
	if s == "" {
		return none
	}
	return s
}

// Found is what `image find` returns: the artifact of the image the registry holds under a commit's
// tag, or none (nil) when the commit was never published.
type Found struct {
	Artifact *artifact.Artifact `json:"artifact"`
}
