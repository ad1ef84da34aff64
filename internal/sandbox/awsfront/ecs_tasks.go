package awsfront

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// ECS tasks: moto runs none (ListTasks is empty), so the front reports the tasks ECS would run for each
// service deployment: runningCount tasks of the deployment's task definition, and for each container
// the imageDigest the registry resolved the image to when the front first saw the deployment (ECS
// resolves tags when a deployment starts its tasks, so a tag moved later does not change what runs).
// Tasks follow the deployments the rollout simulator reports, whatever its strategy.

// taskSet is the tasks of one deployment.
type taskSet struct {
	deployment string
	taskDef    string
	images     []containerImage
	created    time.Time
}

type containerImage struct {
	Name, Image, Digest string
}

// ecsTasks remembers what each deployment resolved, by service ARN + deployment id.
type ecsTasks struct {
	mu   sync.Mutex
	sets map[string]*taskSet
}

func (f *Front) registerECSTasks() {
	f.tasks = &ecsTasks{sets: map[string]*taskSet{}}
	f.HandleOperation("ecs", "ListTasks", f.listTasks)
	f.HandleOperation("ecs", "DescribeTasks", f.describeTasks)
}

// ecsJSON runs an ECS call of the front's own through the ECS route (the simulator), as the caller's
// account admin, and decodes the answer.
func (f *Front) ecsJSON(ctx context.Context, call *Call, op string, in, out any) error {
	body, _ := json.Marshal(in)
	sub := &Call{Service: "ecs", Operation: op, Protocol: ProtocolJSON, Region: call.Region, Account: call.Account, Caller: call.Caller, Body: body}
	req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body)).WithContext(WithCall(ctx, sub))
	req.Host = hostOf(f.cfg.Listen)
	req.Header.Set("X-Amz-Target", "AmazonEC2ContainerServiceV20141113."+op)
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	rec := httptest.NewRecorder()
	if f.ecs != nil {
		f.ecs.ServeHTTP(rec, req)
	} else {
		f.forward(rec, req, sub)
	}
	if rec.Code != http.StatusOK {
		return &APIError{Status: rec.Code, Code: "ServerException", Message: fmt.Sprintf("ECS %s: %s", op, strings.TrimSpace(rec.Body.String()))}
	}
	return json.Unmarshal(rec.Body.Bytes(), out)
}

type ecsDeployment struct {
	ID             string  `json:"id"`
	Status         string  `json:"status"`
	TaskDefinition string  `json:"taskDefinition"`
	RunningCount   int     `json:"runningCount"`
	PendingCount   int     `json:"pendingCount"`
	FailedTasks    int     `json:"failedTasks"`
	RolloutState   string  `json:"rolloutState"`
	CreatedAt      float64 `json:"createdAt"`
}

type ecsService struct {
	ServiceArn  string          `json:"serviceArn"`
	ServiceName string          `json:"serviceName"`
	ClusterArn  string          `json:"clusterArn"`
	Deployments []ecsDeployment `json:"deployments"`
}

// task is one synthesized task as DescribeTasks reports it.
type task map[string]any

// serviceTasks derives the tasks of a service from its deployments.
func (f *Front) serviceTasks(ctx context.Context, call *Call, svc ecsService) ([]task, error) {
	clusterName := svc.ClusterArn[strings.LastIndex(svc.ClusterArn, "/")+1:]
	var out []task
	for _, d := range svc.Deployments {
		set, err := f.taskSetFor(ctx, call, svc.ServiceArn, d)
		if err != nil {
			return nil, err
		}
		add := func(n int, last, desired, reason string) {
			for i := 0; i < n; i++ {
				out = append(out, f.makeTask(call, svc, clusterName, set, i, last, desired, reason))
			}
		}
		add(d.RunningCount, "RUNNING", "RUNNING", "")
		add(d.PendingCount, "PENDING", "RUNNING", "")
		if d.FailedTasks > 0 {
			reason := "Essential container in task exited"
			for _, c := range set.images {
				if c.Digest == "" {
					reason = fmt.Sprintf("CannotPullContainerError: pull image manifest has been retried 7 time(s): %s: not found", c.Image)
				}
			}
			add(d.FailedTasks, "STOPPED", "STOPPED", reason)
		}
	}
	return out, nil
}

// taskSetFor returns the deployment's task set, resolving its images the first time it is seen.
func (f *Front) taskSetFor(ctx context.Context, call *Call, serviceARN string, d ecsDeployment) (*taskSet, error) {
	key := serviceARN + "#" + d.ID + "#" + d.TaskDefinition
	f.tasks.mu.Lock()
	set, ok := f.tasks.sets[key]
	f.tasks.mu.Unlock()
	if ok {
		return set, nil
	}
	var td struct {
		TaskDefinition struct {
			ContainerDefinitions []struct {
				Name  string `json:"name"`
				Image string `json:"image"`
			} `json:"containerDefinitions"`
		} `json:"taskDefinition"`
	}
	if err := f.ecsJSON(ctx, call, "DescribeTaskDefinition", map[string]string{"taskDefinition": d.TaskDefinition}, &td); err != nil {
		return nil, err
	}
	set = &taskSet{deployment: d.ID, taskDef: d.TaskDefinition, created: f.now()}
	for _, c := range td.TaskDefinition.ContainerDefinitions {
		digest, found, err := f.ImageDigest(ctx, c.Image)
		if err != nil {
			f.logf("resolve %s for %s: %v", c.Image, serviceARN, err)
		}
		if !found {
			digest = ""
		}
		set.images = append(set.images, containerImage{Name: c.Name, Image: c.Image, Digest: digest})
	}
	f.tasks.mu.Lock()
	f.tasks.sets[key] = set
	f.tasks.mu.Unlock()
	return set, nil
}

func (f *Front) makeTask(call *Call, svc ecsService, cluster string, set *taskSet, i int, last, desired, reason string) task {
	sum := sha256.Sum256([]byte(fmt.Sprintf("%s/%s/%s/%d", svc.ServiceArn, set.deployment, last, i)))
	id := hex.EncodeToString(sum[:16])
	arn := fmt.Sprintf("arn:aws:ecs:%s:%s:task/%s/%s", call.Region, call.Account, cluster, id)
	var containers []map[string]any
	for _, c := range set.images {
		ct := map[string]any{"containerArn": fmt.Sprintf("arn:aws:ecs:%s:%s:container/%s/%s/%s", call.Region, call.Account, cluster, id, c.Name),
			"taskArn": arn, "name": c.Name, "image": c.Image, "lastStatus": last}
		if c.Digest != "" {
			ct["imageDigest"] = c.Digest
			ct["runtimeId"] = id + "-" + c.Name
		}
		if last == "STOPPED" {
			ct["reason"] = reason
		}
		containers = append(containers, ct)
	}
	zones := []string{"a", "b"}
	t := task{"taskArn": arn, "clusterArn": svc.ClusterArn, "taskDefinitionArn": set.taskDef, "group": "service:" + svc.ServiceName,
		"startedBy": set.deployment, "lastStatus": last, "desiredStatus": desired, "launchType": "FARGATE", "platformVersion": "1.4.0",
		"availabilityZone": call.Region + zones[i%2], "connectivity": "CONNECTED", "containers": containers,
		"createdAt": float64(set.created.Unix()), "cpu": "256", "memory": "512"}
	if last == "RUNNING" {
		t["startedAt"] = float64(set.created.Unix())
		t["healthStatus"] = "UNKNOWN"
	}
	if last == "STOPPED" {
		t["stoppedReason"] = reason
		t["stopCode"] = "TaskFailedToStart"
	}
	return t
}

// clusterTasks lists the tasks of every (or one) service of a cluster.
func (f *Front) clusterTasks(ctx context.Context, call *Call, cluster, service string) ([]task, error) {
	services := []string{service}
	if service == "" {
		var list struct {
			ServiceArns []string `json:"serviceArns"`
		}
		if err := f.ecsJSON(ctx, call, "ListServices", map[string]any{"cluster": cluster, "maxResults": 100}, &list); err != nil {
			return nil, err
		}
		services = list.ServiceArns
	}
	var out []task
	for i := 0; i < len(services); i += 10 {
		end := min(i+10, len(services))
		var desc struct {
			Services []ecsService `json:"services"`
		}
		if err := f.ecsJSON(ctx, call, "DescribeServices", map[string]any{"cluster": cluster, "services": services[i:end]}, &desc); err != nil {
			return nil, err
		}
		for _, s := range desc.Services {
			tasks, err := f.serviceTasks(ctx, call, s)
			if err != nil {
				return nil, err
			}
			out = append(out, tasks...)
		}
	}
	return out, nil
}

func (f *Front) listTasks(w http.ResponseWriter, r *http.Request, call *Call) {
	if e := f.Authorize(r.Context(), call, accessFor(call, r)...); e != nil {
		WriteError(w, call, e)
		return
	}
	cluster := ecsClusterName(call.Str("cluster"))
	service := call.Str("serviceName")
	desired := call.Str("desiredStatus")
	if desired == "" {
		desired = "RUNNING"
	}
	tasks, err := f.clusterTasks(r.Context(), call, cluster, service)
	if err != nil {
		WriteError(w, call, asAPIError(err))
		return
	}
	arns := []string{}
	for _, t := range tasks {
		if t["desiredStatus"] == desired {
			arns = append(arns, t["taskArn"].(string))
		}
	}
	writeAmzJSON(w, map[string]any{"taskArns": arns})
}

func (f *Front) describeTasks(w http.ResponseWriter, r *http.Request, call *Call) {
	if e := f.Authorize(r.Context(), call, accessFor(call, r)...); e != nil {
		WriteError(w, call, e)
		return
	}
	cluster := ecsClusterName(call.Str("cluster"))
	tasks, err := f.clusterTasks(r.Context(), call, cluster, "")
	if err != nil {
		WriteError(w, call, asAPIError(err))
		return
	}
	byID := map[string]task{}
	for _, t := range tasks {
		arn := t["taskArn"].(string)
		byID[arn] = t
		byID[arn[strings.LastIndex(arn, "/")+1:]] = t
	}
	found, failures := []task{}, []map[string]string{}
	for _, id := range call.Strs("tasks") {
		if t, ok := byID[id]; ok {
			found = append(found, t)
			continue
		}
		failures = append(failures, map[string]string{"arn": id, "reason": "MISSING"})
	}
	writeAmzJSON(w, map[string]any{"tasks": found, "failures": failures})
}

func asAPIError(err error) *APIError {
	if e, ok := err.(*APIError); ok {
		return e
	}
	return &APIError{Status: http.StatusInternalServerError, Code: "ServerException", Message: err.Error()}
}
