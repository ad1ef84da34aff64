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
	// LoadBalancers and DeploymentConfiguration are reported when the stand-in knows them.
	LoadBalancers           []LoadBalancer           `json:"loadBalancers,omitempty"`
	DeploymentConfiguration *DeploymentConfiguration `json:"deploymentConfiguration,omitempty"`
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

// DeploymentConfiguration is a service's deploymentConfiguration as the stand-ins read and report it
// (the strategy fields moto drops; see RIG-NOTES).
type DeploymentConfiguration struct {
	Strategy                 string                    `json:"strategy,omitempty"`
	BakeTimeInMinutes        *int32                    `json:"bakeTimeInMinutes,omitempty"`
	LinearConfiguration      *LinearConfiguration      `json:"linearConfiguration,omitempty"`
	CanaryConfiguration      *CanaryConfiguration      `json:"canaryConfiguration,omitempty"`
	Alarms                   *DeploymentAlarms         `json:"alarms,omitempty"`
	LifecycleHooks           []LifecycleHook           `json:"lifecycleHooks,omitempty"`
	DeploymentCircuitBreaker *DeploymentCircuitBreaker `json:"deploymentCircuitBreaker,omitempty"`
	MaximumPercent           *int32                    `json:"maximumPercent,omitempty"`
	MinimumHealthyPercent    *int32                    `json:"minimumHealthyPercent,omitempty"`
}

// LinearConfiguration: stepPercent of production traffic every stepBakeTimeInMinutes.
type LinearConfiguration struct {
	StepPercent           *float64 `json:"stepPercent,omitempty"`
	StepBakeTimeInMinutes *int32   `json:"stepBakeTimeInMinutes,omitempty"`
}

// CanaryConfiguration: canaryPercent of production traffic for canaryBakeTimeInMinutes, then the rest.
type CanaryConfiguration struct {
	CanaryPercent           *float64 `json:"canaryPercent,omitempty"`
	CanaryBakeTimeInMinutes *int32   `json:"canaryBakeTimeInMinutes,omitempty"`
}

// DeploymentAlarms are the CloudWatch alarms a deployment watches.
type DeploymentAlarms struct {
	AlarmNames []string `json:"alarmNames"`
	Enable     bool     `json:"enable"`
	Rollback   bool     `json:"rollback"`
}

// DeploymentCircuitBreaker is the rolling strategy's breaker.
type DeploymentCircuitBreaker struct {
	Enable   bool `json:"enable"`
	Rollback bool `json:"rollback"`
}

// LifecycleHook is a Lambda function ECS runs at lifecycle stages.
type LifecycleHook struct {
	HookTargetArn   string   `json:"hookTargetArn,omitempty"`
	RoleArn         string   `json:"roleArn,omitempty"`
	LifecycleStages []string `json:"lifecycleStages,omitempty"`
	TargetType      string   `json:"targetType,omitempty"`
}

// LoadBalancer is one of a service's load balancers, with the blue/green advanced configuration.
type LoadBalancer struct {
	TargetGroupArn        string                 `json:"targetGroupArn,omitempty"`
	ContainerName         string                 `json:"containerName,omitempty"`
	ContainerPort         int32                  `json:"containerPort,omitempty"`
	AdvancedConfiguration *AdvancedConfiguration `json:"advancedConfiguration,omitempty"`
}

// AdvancedConfiguration names the ALB resources of a blue/green, linear or canary deployment.
type AdvancedConfiguration struct {
	AlternateTargetGroupArn string `json:"alternateTargetGroupArn,omitempty"`
	ProductionListenerRule  string `json:"productionListenerRule,omitempty"`
	TestListenerRule        string `json:"testListenerRule,omitempty"`
	RoleArn                 string `json:"roleArn,omitempty"`
}

// StrategyUpdate is the part of a CreateService/UpdateService request the strategy models read.
type StrategyUpdate struct {
	Cluster                 string                   `json:"cluster"`
	Service                 string                   `json:"service"`
	ServiceName             string                   `json:"serviceName"`
	TaskDefinition          string                   `json:"taskDefinition"`
	ForceNewDeployment      bool                     `json:"forceNewDeployment"`
	DeploymentConfiguration *DeploymentConfiguration `json:"deploymentConfiguration,omitempty"`
	LoadBalancers           []LoadBalancer           `json:"loadBalancers,omitempty"`
}

// Service deployments (ListServiceDeployments, DescribeServiceDeployments).
type (
	ListServiceDeploymentsRequest struct {
		Cluster    string   `json:"cluster"`
		Service    string   `json:"service"`
		Status     []string `json:"status,omitempty"`
		MaxResults int      `json:"maxResults,omitempty"`
	}
	ListServiceDeploymentsResponse struct {
		ServiceDeployments []ServiceDeploymentBrief `json:"serviceDeployments"`
	}
	DescribeServiceDeploymentsRequest struct {
		ServiceDeploymentArns []string `json:"serviceDeploymentArns"`
	}
	DescribeServiceDeploymentsResponse struct {
		ServiceDeployments []ServiceDeployment `json:"serviceDeployments"`
		Failures           []Failure           `json:"failures"`
	}
)

// ServiceDeploymentBrief is one entry of ListServiceDeployments (newest first).
type ServiceDeploymentBrief struct {
	ServiceDeploymentArn     string   `json:"serviceDeploymentArn"`
	ServiceArn               string   `json:"serviceArn"`
	ClusterArn               string   `json:"clusterArn"`
	TargetServiceRevisionArn string   `json:"targetServiceRevisionArn,omitempty"`
	Status                   string   `json:"status"`
	StatusReason             string   `json:"statusReason,omitempty"`
	CreatedAt                float64  `json:"createdAt"`
	StartedAt                float64  `json:"startedAt,omitempty"`
	FinishedAt               *float64 `json:"finishedAt,omitempty"`
}

// ServiceDeployment is one service deployment as DescribeServiceDeployments reports it.
type ServiceDeployment struct {
	ServiceDeploymentArn    string                   `json:"serviceDeploymentArn"`
	ServiceArn              string                   `json:"serviceArn"`
	ClusterArn              string                   `json:"clusterArn"`
	Status                  string                   `json:"status"`
	StatusReason            string                   `json:"statusReason,omitempty"`
	LifecycleStage          string                   `json:"lifecycleStage,omitempty"`
	CreatedAt               float64                  `json:"createdAt"`
	StartedAt               float64                  `json:"startedAt,omitempty"`
	UpdatedAt               float64                  `json:"updatedAt,omitempty"`
	FinishedAt              *float64                 `json:"finishedAt,omitempty"`
	TargetServiceRevision   *ServiceRevisionSummary  `json:"targetServiceRevision,omitempty"`
	SourceServiceRevisions  []ServiceRevisionSummary `json:"sourceServiceRevisions,omitempty"`
	DeploymentConfiguration *DeploymentConfiguration `json:"deploymentConfiguration,omitempty"`
	Alarms                  *ServiceDeploymentAlarms `json:"alarms,omitempty"`
	Rollback                *Rollback                `json:"rollback,omitempty"`
	LifecycleHookDetails    []LifecycleHookDetail    `json:"lifecycleHookDetails,omitempty"`
}

// ServiceRevisionSummary is a revision of a service deployment with its share of traffic.
type ServiceRevisionSummary struct {
	Arn                              string   `json:"arn"`
	RequestedTaskCount               int32    `json:"requestedTaskCount"`
	RunningTaskCount                 int32    `json:"runningTaskCount"`
	PendingTaskCount                 int32    `json:"pendingTaskCount"`
	RequestedProductionTrafficWeight *float64 `json:"requestedProductionTrafficWeight,omitempty"`
	RequestedTestTrafficWeight       *float64 `json:"requestedTestTrafficWeight,omitempty"`
}

// ServiceDeploymentAlarms says which alarms the deployment watched and which fired.
type ServiceDeploymentAlarms struct {
	AlarmNames          []string `json:"alarmNames,omitempty"`
	Status              string   `json:"status"`
	TriggeredAlarmNames []string `json:"triggeredAlarmNames,omitempty"`
}

// Rollback is the rollback of a service deployment.
type Rollback struct {
	Reason             string  `json:"reason"`
	StartedAt          float64 `json:"startedAt"`
	ServiceRevisionArn string  `json:"serviceRevisionArn,omitempty"`
}

// LifecycleHookDetail is one hook of the current lifecycle stage.
type LifecycleHookDetail struct {
	HookID     string `json:"hookId"`
	TargetArn  string `json:"targetArn,omitempty"`
	TargetType string `json:"targetType,omitempty"`
	Status     string `json:"status"`
}

// ServiceDeploymentARN and ServiceRevisionARN are the ARNs the stand-ins make up.
func ServiceDeploymentARN(region, account, cluster, service, id string) string {
	return fmt.Sprintf("arn:aws:ecs:%s:%s:service-deployment/%s/%s/%s", region, account, cluster, service, id)
}

func ServiceRevisionARN(region, account, cluster, service, id string) string {
	return fmt.Sprintf("arn:aws:ecs:%s:%s:service-revision/%s/%s/%s", region, account, cluster, service, id)
}
