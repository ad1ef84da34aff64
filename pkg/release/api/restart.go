package api

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/platformteam/delivery/pkg/diagnosis"
)

// RunningTask is one ECS task or Kubernetes pod and the image digest it runs ("" when not reported).
type RunningTask struct {
	// Name is the task ID (the last part of its ARN) or the pod name.
	Name   string `json:"name"`
	Digest string `json:"digest"`
}

// ECSRestart is what `release ecs restart` returns: a new deployment of the same task definition
// revision (same image digest), so every task was replaced.
type ECSRestart struct {
	Cluster        string `json:"cluster"`
	Service        string `json:"service"`
	TaskDefinition string `json:"task_definition"`
	Image          string `json:"image"`
	// Deployment is the ECS deployment the restart started (ecs-svc/...).
	Deployment string `json:"deployment"`
	// Before and After are the service's running tasks before the restart and once it completed.
	Before  []RunningTask `json:"before"`
	After   []RunningTask `json:"after"`
	Seconds float64       `json:"seconds"`
	Polls   int           `json:"polls"`
	// Diagnosis is why a failed restart's new tasks did not run (stopped tasks, service events).
	Diagnosis *diagnosis.Diagnosis `json:"diagnosis,omitempty"`
}

// EKSRestart is what `release eks restart` returns: the release's workloads rolled out again with
// the same pod spec (only the restartedAt annotation of the pod template changes), so every pod was
// replaced. The Helm revision does not change.
type EKSRestart struct {
	Release   string `json:"release"`
	Namespace string `json:"namespace"`
	// Revision is the Helm revision that runs before and after.
	Revision int `json:"revision"`
	// Workloads are the restarted Deployments, StatefulSets and DaemonSets ("Deployment/app").
	Workloads []string `json:"workloads"`
	// RestartedAt is the pod template annotation kubectl.kubernetes.io/restartedAt that was set.
	RestartedAt string        `json:"restarted_at"`
	Before      []RunningTask `json:"before"`
	After       []RunningTask `json:"after"`
	Seconds     float64       `json:"seconds"`
	// Diagnosis is why a failed restart's new pods did not become ready (container states, events).
	Diagnosis *diagnosis.Diagnosis `json:"diagnosis,omitempty"`
}

// Replaced reports whether none of before is in after (every task or pod was replaced).
func Replaced(before, after []RunningTask) bool {
	old := map[string]bool{}
	for _, t := range before {
		old[t.Name] = true
	}
	for _, t := range after {
		if old[t.Name] {
			return false
		}
	}
	return len(after) > 0
}

// Lines is the human report of an ECS restart: what was replaced by what, and what stayed.
func (r ECSRestart) Lines() []string {
	return []string{
		fmt.Sprintf("ecs: service %s restarted: deployment %s, task definition %s unchanged (%s)", r.Service, r.Deployment, ShortARN(r.TaskDefinition), r.Image),
		fmt.Sprintf("  tasks before: %s", taskList(r.Before)),
		fmt.Sprintf("  tasks after:  %s", taskList(r.After)),
	}
}

// Lines is the human report of an EKS restart.
func (r EKSRestart) Lines() []string {
	return []string{
		fmt.Sprintf("eks: release %s restarted: %s at %s, helm revision %d unchanged", r.Release, strings.Join(r.Workloads, ", "), r.RestartedAt, r.Revision),
		fmt.Sprintf("  pods before: %s", taskList(r.Before)),
		fmt.Sprintf("  pods after:  %s", taskList(r.After)),
	}
}

func taskList(ts []RunningTask) string {
	if len(ts) == 0 {
		return "(none)"
	}
	var parts []string
	for _, t := range ts {
		d := t.Digest
		if i := strings.Index(d, "sha256:"); i >= 0 && len(d) >= i+7+12 {
			d = d[i : i+7+12]
		}
		parts = append(parts, t.Name+" ("+orNone(d, "digest not reported")+")")
	}
	return strings.Join(parts, ", ")
}

// ECSRevision is one task definition revision of the service's family.
type ECSRevision struct {
	Revision     int       `json:"revision"`
	ARN          string    `json:"arn"`
	Status       string    `json:"status"`
	Image        string    `json:"image"`
	RegisteredAt time.Time `json:"registered_at,omitzero"`
	// Current is true for the revision the service runs.
	Current bool `json:"current"`
}

// ECSHistory is what `release ecs history` returns: the family's revisions, newest first.
type ECSHistory struct {
	Cluster   string        `json:"cluster"`
	Service   string        `json:"service"`
	Family    string        `json:"family"`
	Revisions []ECSRevision `json:"revisions"`
}

// EKSRevision is one revision of a Helm release.
type EKSRevision struct {
	Revision    int       `json:"revision"`
	Status      string    `json:"status"`
	Chart       string    `json:"chart"`
	AppVersion  string    `json:"app_version"`
	Updated     time.Time `json:"updated"`
	Description string    `json:"description"`
	// Image is the repository@digest the revision deployed ("" when its values do not say).
	Image string `json:"image,omitempty"`
}

// Print writes the ECS history as a table.
func (h ECSHistory) Print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "REVISION\tREGISTERED\tSTATUS\tIMAGE\n")
	for _, r := range h.Revisions {
		mark := ""
		if r.Current {
			mark = " (running)"
		}
		reg := "-"
		if !r.RegisteredAt.IsZero() {
			reg = r.RegisteredAt.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s:%d%s\t%s\t%s\t%s\n", h.Family, r.Revision, mark, reg, r.Status, r.Image)
	}
	tw.Flush()
}

// PrintEKSHistory writes a Helm release's history as a table.
func PrintEKSHistory(w io.Writer, revs []EKSRevision) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "REVISION\tUPDATED\tSTATUS\tCHART\tIMAGE\tDESCRIPTION")
	for _, r := range revs {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", r.Revision, r.Updated.UTC().Format(time.RFC3339), r.Status, r.Chart, orNone(r.Image, "-"), r.Description)
	}
	tw.Flush()
}
