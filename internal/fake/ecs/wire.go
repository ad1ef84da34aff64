// Package ecs is the ECS JSON wire protocol as the project's ECS stand-ins speak it: the operation a
// request names in X-Amz-Target, request and response bodies, ECS-style error bodies, and the shapes
// of the services, deployments, events and task definitions the stand-ins report.
//
// Two stand-ins are built on it: the rollout simulator (package rollout), which the sandbox's AWS
// endpoint runs in front of moto, and the scenario server (package scenario), which plays scripted
// rollouts for the release engine's tests and benchmarks.
package ecs

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// TargetPrefix starts the X-Amz-Target header of every ECS call ("<prefix>UpdateService").
const TargetPrefix = "AmazonEC2ContainerServiceV20141113."

// ContentType is the content type of ECS requests and answers.
const ContentType = "application/x-amz-json-1.1"

// Operation is the ECS operation named in the X-Amz-Target header, e.g. "UpdateService"; ok is false
// when the request is not an ECS call.
func Operation(h http.Header) (op string, ok bool) {
	return strings.CutPrefix(h.Get("X-Amz-Target"), TargetPrefix)
}

// SetOperation names op in h's X-Amz-Target header.
func SetOperation(h http.Header, op string) { h.Set("X-Amz-Target", TargetPrefix+op) }

// WriteJSON answers v as a successful ECS response.
func WriteJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", ContentType)
	_ = json.NewEncoder(w).Encode(v)
}

// WriteError answers an ECS client error (HTTP 400): {"__type": code, "message": message}, which the
// SDKs turn into the typed exception named by code.
func WriteError(w http.ResponseWriter, code, message string) {
	w.Header().Set("Content-Type", ContentType)
	w.WriteHeader(http.StatusBadRequest)
	_ = json.NewEncoder(w).Encode(map[string]any{"__type": code, "message": message})
}

// Requests: the fields of each call that the stand-ins read.
type (
	DescribeServicesRequest struct {
		Cluster  string   `json:"cluster"`
		Services []string `json:"services"`
	}
	UpdateServiceRequest struct {
		Cluster            string `json:"cluster"`
		Service            string `json:"service"`
		TaskDefinition     string `json:"taskDefinition"`
		ForceNewDeployment bool   `json:"forceNewDeployment"`
	}
	DescribeTaskDefinitionRequest struct {
		TaskDefinition string `json:"taskDefinition"`
	}
	ListTaskDefinitionsRequest struct {
		FamilyPrefix string `json:"familyPrefix"`
		Sort         string `json:"sort"`
	}
)

// Service is a service as DescribeServices, UpdateService, CreateService and DeleteService report it
// (the fields the stand-ins produce).
type Service struct {
	ServiceName    string       `json:"serviceName"`
	ServiceArn     string       `json:"serviceArn"`
	ClusterArn     string       `json:"clusterArn"`
	Status         string       `json:"status"`
	TaskDefinition string       `json:"taskDefinition"`
	DesiredCount   int32        `json:"desiredCount"`
	RunningCount   int32        `json:"runningCount"`
	PendingCount   int32        `json:"pendingCount"`
	LaunchType     string       `json:"launchType"`
	Deployments    []Deployment `json:"deployments"`
	Events         []Event      `json:"events"`
}

// Deployment is one entry of a service's deployments: PRIMARY (the newest) or ACTIVE (older ones still
// running or draining), with its rollout state (IN_PROGRESS, COMPLETED, FAILED).
type Deployment struct {
	ID                 string  `json:"id"`
	Status             string  `json:"status"`
	TaskDefinition     string  `json:"taskDefinition"`
	DesiredCount       int32   `json:"desiredCount"`
	RunningCount       int32   `json:"runningCount"`
	PendingCount       int32   `json:"pendingCount"`
	FailedTasks        int32   `json:"failedTasks"`
	RolloutState       string  `json:"rolloutState"`
	RolloutStateReason string  `json:"rolloutStateReason,omitempty"`
	LaunchType         string  `json:"launchType"`
	CreatedAt          float64 `json:"createdAt"`
	UpdatedAt          float64 `json:"updatedAt"`
}

// Event is a service event; ECS lists them newest first.
type Event struct {
	ID        string  `json:"id"`
	CreatedAt float64 `json:"createdAt"`
	Message   string  `json:"message"`
}

// Failure is one entry of DescribeServices' failures (a service that does not exist: reason MISSING).
type Failure struct {
	Arn    string `json:"arn"`
	Reason string `json:"reason"`
}

// DescribeServicesResponse is DescribeServices' answer.
type DescribeServicesResponse struct {
	Services []Service `json:"services"`
	Failures []Failure `json:"failures"`
}

// ServiceResponse is the answer of UpdateService, CreateService and DeleteService.
type ServiceResponse struct {
	Service Service `json:"service"`
}

// TaskDefinition is the part of a task definition the stand-ins read.
type TaskDefinition struct {
	TaskDefinitionArn    string                `json:"taskDefinitionArn"`
	ContainerDefinitions []ContainerDefinition `json:"containerDefinitions"`
}

// ContainerDefinition is one container of a task definition.
type ContainerDefinition struct {
	Name  string `json:"name"`
	Image string `json:"image"`
}

// DescribeTaskDefinitionResponse is DescribeTaskDefinition's answer.
type DescribeTaskDefinitionResponse struct {
	TaskDefinition TaskDefinition `json:"taskDefinition"`
}

// Epoch is a time as ECS JSON carries it: seconds since the Unix epoch, with a fraction.
func Epoch(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

// ARNs the stand-ins make up.
func ClusterARN(region, account, cluster string) string {
	return fmt.Sprintf("arn:aws:ecs:%s:%s:cluster/%s", region, account, cluster)
}

func ServiceARN(region, account, cluster, service string) string {
	return fmt.Sprintf("arn:aws:ecs:%s:%s:service/%s/%s", region, account, cluster, service)
}

func TaskDefinitionARN(region, account, family string, revision int) string {
	return fmt.Sprintf("arn:aws:ecs:%s:%s:task-definition/%s:%d", region, account, family, revision)
}

// ShortName is the name an ARN ends with (a cluster, service or "family:revision"); a plain name is
// returned as it is.
func ShortName(nameOrARN string) string { return nameOrARN[strings.LastIndex(nameOrARN, "/")+1:] }

// ParseTaskDefinition splits a task definition reference (ARN, "family:revision" or "family") into
// its family and revision; revision is 0 when the reference names none, -1 when it is not a number.
func ParseTaskDefinition(ref string) (family string, revision int) {
	family, rev, ok := strings.Cut(ShortName(ref), ":")
	if !ok {
		return family, 0
	}
	n, err := strconv.Atoi(rev)
	if err != nil || n < 1 {
		return family, -1
	}
	return family, n
}
