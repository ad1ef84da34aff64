// Package diagnosis says why a rollout failed, as typed data: the deploy engines fill it from the
// platform's own records (ECS stopped tasks and service events, Kubernetes container states and pod
// events) and the run report renders it. It also finds and masks credentials in such text.
package diagnosis

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Diagnosis is what the platform said about a failed rollout.
type Diagnosis struct {
	// Tasks are the stopped tasks of the failed ECS deployment, newest first.
	Tasks []Task `json:"tasks,omitempty"`
	// Pods are the failing pods of the new Kubernetes revision.
	Pods []Pod `json:"pods,omitempty"`
	// Events are the last service events (ECS) or pod events (EKS), oldest first.
	Events []Event `json:"events,omitempty"`
	// Incomplete says what could not be read (the diagnosis never fails a deploy).
	Incomplete string `json:"incomplete,omitempty"`
}

// Task is one stopped ECS task.
type Task struct {
	ID             string      `json:"id"`
	TaskDefinition string      `json:"task_definition"`
	StopCode       string      `json:"stop_code,omitempty"`
	StoppedReason  string      `json:"stopped_reason,omitempty"`
	Containers     []Container `json:"containers,omitempty"`
}

// Pod is one failing Kubernetes pod.
type Pod struct {
	Name       string      `json:"name"`
	Containers []Container `json:"containers,omitempty"`
}

// Container is one container's last known state.
type Container struct {
	Name string `json:"name"`
	// State is waiting, running, terminated (Kubernetes) or STOPPED, RUNNING, ... (ECS lastStatus).
	State    string `json:"state"`
	Reason   string `json:"reason,omitempty"`
	Message  string `json:"message,omitempty"`
	ExitCode *int32 `json:"exit_code,omitempty"`
	Restarts int32  `json:"restarts,omitempty"`
}

// Event is one platform event.
type Event struct {
	At time.Time `json:"at"`
	// Object is what the event is about ("pod/web-1"); empty for ECS service events.
	Object  string `json:"object,omitempty"`
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message"`
}

// Empty reports whether there is nothing to say.
func (d *Diagnosis) Empty() bool {
	return d == nil || (len(d.Tasks) == 0 && len(d.Pods) == 0 && len(d.Events) == 0 && d.Incomplete == "")
}

// Lines says the diagnosis one fact per line, in the order a reader needs them: what stopped and
// why, then the events.
func (d *Diagnosis) Lines() []string {
	if d == nil {
		return nil
	}
	var out []string
	for _, t := range d.Tasks {
		line := fmt.Sprintf("task %s (%s) stopped", t.ID, t.TaskDefinition)
		if t.StopCode != "" {
			line += " [" + t.StopCode + "]"
		}
		if t.StoppedReason != "" {
			line += ": " + t.StoppedReason
		}
		out = append(out, line)
		for _, c := range t.Containers {
			out = append(out, "  "+c.describe())
		}
	}
	for _, p := range d.Pods {
		out = append(out, "pod "+p.Name)
		for _, c := range p.Containers {
			out = append(out, "  "+c.describe())
		}
	}
	for _, e := range d.Events {
		line := "event " + e.At.UTC().Format("15:04:05") + " "
		if e.Object != "" {
			line += e.Object + " "
		}
		if e.Reason != "" {
			line += e.Reason + ": "
		}
		out = append(out, line+e.Message)
	}
	if d.Incomplete != "" {
		out = append(out, "(incomplete: "+d.Incomplete+")")
	}
	return out
}

func (c Container) describe() string {
	s := fmt.Sprintf("container %s %s", c.Name, c.State)
	if c.Reason != "" {
		s += " " + c.Reason
	}
	if c.ExitCode != nil {
		s += fmt.Sprintf(" exit code %d", *c.ExitCode)
	}
	if c.Restarts > 0 {
		s += fmt.Sprintf(" after %d restart(s)", c.Restarts)
	}
	if c.Message != "" {
		s += ": " + c.Message
	}
	return s
}

// Masked returns a copy with every occurrence of each secret replaced by "***".
func (d *Diagnosis) Masked(secrets []string) *Diagnosis {
	if d == nil {
		return nil
	}
	m := Mask(secrets)
	out := &Diagnosis{Incomplete: m(d.Incomplete)}
	for _, t := range d.Tasks {
		t.StoppedReason = m(t.StoppedReason)
		t.Containers = maskContainers(t.Containers, m)
		out.Tasks = append(out.Tasks, t)
	}
	for _, p := range d.Pods {
		p.Containers = maskContainers(p.Containers, m)
		out.Pods = append(out.Pods, p)
	}
	for _, e := range d.Events {
		e.Message = m(e.Message)
		out.Events = append(out.Events, e)
	}
	return out
}

func maskContainers(cs []Container, m func(string) string) []Container {
	var out []Container
	for _, c := range cs {
		c.Reason, c.Message = m(c.Reason), m(c.Message)
		out = append(out, c)
	}
	return out
}

// Text is every free-text field, for finding credentials in it.
func (d *Diagnosis) Text() string {
	if d == nil {
		return ""
	}
	return strings.Join(d.Lines(), "\n")
}

// credentialPatterns find values that authenticate something, as they appear in error messages:
// presigned URL signatures and session tokens, bearer tokens, EKS tokens, basic-auth passwords in URLs.
var credentialPatterns = []*regexp.Regexp{
	regexp.MustCompile(`(?i)X-Amz-(?:Security-Token|Signature|Credential)=([^&\s"']+)`),
	regexp.MustCompile(`(?i)\bBearer\s+([A-Za-z0-9._~+/=-]{8,})`),
	regexp.MustCompile(`\b(k8s-aws-v1\.[A-Za-z0-9_-]+)`),
	regexp.MustCompile(`(?i)aws_secret_access_key\s*[=:]\s*"?([A-Za-z0-9/+=]{20,})`),
	regexp.MustCompile(`[a-zA-Z][a-zA-Z0-9+.-]*://[^:/\s@]+:([^@\s/]+)@`),
}

// FindCredentials returns the credential values found in text, longest first, without duplicates.
func FindCredentials(text string) []string {
	seen := map[string]bool{}
	var out []string
	for _, re := range credentialPatterns {
		for _, m := range re.FindAllStringSubmatch(text, -1) {
			if v := m[1]; v != "" && !seen[v] {
				seen[v] = true
				out = append(out, v)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

// Mask returns a function replacing each of secrets (blank ones ignored), longest first, by "***".
func Mask(secrets []string) func(string) string {
	var pairs []string
	sorted := append([]string{}, secrets...)
	sort.SliceStable(sorted, func(i, j int) bool { return len(sorted[i]) > len(sorted[j]) })
	for _, s := range sorted {
		if strings.TrimSpace(s) != "" {
			pairs = append(pairs, s, "***")
		}
	}
	if len(pairs) == 0 {
		return func(s string) string { return s }
	}
	r := strings.NewReplacer(pairs...)
	return r.Replace
}
