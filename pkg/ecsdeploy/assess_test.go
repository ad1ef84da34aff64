package ecsdeploy

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

const (
	tdOld = "arn:aws:ecs:ap-southeast-2:123456789012:task-definition/demo-app:1"
	tdNew = "arn:aws:ecs:ap-southeast-2:123456789012:task-definition/demo-app:2"
	tdX   = "arn:aws:ecs:ap-southeast-2:123456789012:task-definition/demo-app:3"
)

func dep(td, status string, rollout types.DeploymentRolloutState, running, desired int32) types.Deployment {
	return types.Deployment{TaskDefinition: aws.String(td), Status: aws.String(status), RolloutState: rollout, RunningCount: running, DesiredCount: desired}
}

func TestAssessVerdicts(t *testing.T) {
	cases := []struct {
		name    string
		svcTD   string
		deps    []types.Deployment
		sawOurs bool
		done    bool
		failure string
	}{
		{"completed", tdNew, []types.Deployment{dep(tdNew, "PRIMARY", "COMPLETED", 2, 2)}, false, true, ""},
		{"completed but not all running", tdNew, []types.Deployment{dep(tdNew, "PRIMARY", "COMPLETED", 1, 2)}, false, false, ""},
		{"in progress, old draining", tdNew, []types.Deployment{dep(tdNew, "PRIMARY", "IN_PROGRESS", 2, 2), dep(tdOld, "ACTIVE", "COMPLETED", 2, 2)}, false, false, ""},
		{"old deployment completed is not ours", tdNew, []types.Deployment{dep(tdOld, "PRIMARY", "COMPLETED", 2, 2)}, false, false, ""},
		{"alarm rollback without a new primary yet", tdNew, []types.Deployment{dep(tdNew, "PRIMARY", "FAILED", 0, 2)}, false, false, FailureCircuitBreaker},
		{"breaker rolled back", tdOld, []types.Deployment{dep(tdOld, "PRIMARY", "IN_PROGRESS", 1, 2), dep(tdNew, "ACTIVE", "FAILED", 0, 2)}, true, false, FailureCircuitBreaker},
		{"another deploy took over", tdX, []types.Deployment{dep(tdX, "PRIMARY", "IN_PROGRESS", 0, 2), dep(tdNew, "ACTIVE", "IN_PROGRESS", 1, 2)}, true, false, FailureReplaced},
		{"our deployment vanished", tdX, []types.Deployment{dep(tdX, "PRIMARY", "COMPLETED", 2, 2)}, true, false, FailureReplaced},
		{"no rollout states, single deployment", tdNew, []types.Deployment{dep(tdNew, "PRIMARY", "", 2, 2)}, false, true, ""},
		{"no rollout states, two deployments", tdNew, []types.Deployment{dep(tdNew, "PRIMARY", "", 2, 2), dep(tdOld, "ACTIVE", "", 1, 2)}, false, false, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			saw := tc.sawOurs
			_, done, failure := assess(&types.Service{TaskDefinition: aws.String(tc.svcTD), Deployments: tc.deps}, tdNew, &saw)
			kind := ""
			if failure != nil {
				kind = failure.Kind
			}
			if done != tc.done || kind != tc.failure {
				t.Fatalf("done=%v failure=%q, want done=%v failure=%q", done, kind, tc.done, tc.failure)
			}
		})
	}
}
