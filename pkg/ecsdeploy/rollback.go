package ecsdeploy

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/platformteam/delivery/pkg/release/api"
)

// RollbackRequest names the service and, optionally, the revision to restore.
type RollbackRequest struct {
	Cluster string
	Service string
	// To is a revision number ("7"), family:revision or a full ARN; empty means the ACTIVE revision of
	// the same family just below the one the service runs.
	To      string
	Timeout time.Duration
}

// Rollback points the service at an earlier revision and waits for it to complete. The target is
// resolved and described before anything changes, so a bad --to fails without touching the service.
func (d *Deployer) Rollback(ctx context.Context, req RollbackRequest) (api.ECSRollback, error) {
	w := d.waiter()
	start := w.clock.Now()
	if req.Cluster == "" || req.Service == "" || req.Timeout <= 0 {
		return api.ECSRollback{}, errors.New("ecs rollback: cluster, service and a positive timeout are required")
	}
	svc, err := describeService(ctx, d.API, req.Cluster, req.Service)
	if err != nil {
		return api.ECSRollback{}, err
	}
	current := aws.ToString(svc.TaskDefinition)
	family, revision, err := splitRevision(current)
	if err != nil {
		return api.ECSRollback{}, err
	}
	target := req.To
	switch {
	case target == "":
		target, err = d.previousRevision(ctx, family, revision)
		if err != nil {
			return api.ECSRollback{}, err
		}
	case isNumber(target):
		target = family + ":" + target
	}
	td, err := d.API.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(target)})
	if err != nil {
		return api.ECSRollback{}, fmt.Errorf("rollback target %s: %w (list revisions with `aws ecs list-task-definitions --family-prefix %s`)", target, err, family)
	}
	targetARN := aws.ToString(td.TaskDefinition.TaskDefinitionArn)
	if td.TaskDefinition.Status == types.TaskDefinitionStatusInactive {
		return api.ECSRollback{}, fmt.Errorf("rollback target %s is INACTIVE (deregistered): pick another revision", shortARN(targetARN))
	}
	res := api.ECSRollback{Cluster: req.Cluster, Service: req.Service, From: current, To: targetARN}
	if len(td.TaskDefinition.ContainerDefinitions) > 0 {
		res.Image = aws.ToString(td.TaskDefinition.ContainerDefinitions[0].Image)
	}
	if targetARN == current {
		return res, fmt.Errorf("service %s already runs %s: nothing to roll back to (pass --to <revision>)", req.Service, shortARN(current))
	}
	if _, err := d.API.UpdateService(ctx, &ecs.UpdateServiceInput{
		Cluster: aws.String(req.Cluster), Service: aws.String(req.Service), TaskDefinition: aws.String(targetARN)}); err != nil {
		return res, fmt.Errorf("update service %s to %s: %w", req.Service, shortARN(targetARN), err)
	}
	fmt.Fprintf(w.out, "service %s: task definition %s → %s, waiting up to %s\n", req.Service, shortARN(current), shortARN(targetARN), req.Timeout)
	res.Polls, err = w.waitForRollout(ctx, req.Cluster, req.Service, targetARN, req.Timeout)
	res.Seconds = w.clock.Now().Sub(start).Seconds()
	if err != nil {
		return res, fmt.Errorf("rollback of %s to %s: %w", req.Service, shortARN(targetARN), err)
	}
	fmt.Fprintf(w.out, "rolled back %s: task definition %s → %s\n", req.Service, shortARN(current), shortARN(targetARN))
	return res, nil
}

// previousRevision is the highest ACTIVE revision of family below revision.
func (d *Deployer) previousRevision(ctx context.Context, family string, revision int) (string, error) {
	// Every page is read and the highest revision below the current one wins: the answer does not
	// depend on the API honouring the sort order (moto lists ascending whatever is asked).
	var token *string
	best, bestRev := "", 0
	for {
		out, err := d.API.ListTaskDefinitions(ctx, &ecs.ListTaskDefinitionsInput{
			FamilyPrefix: aws.String(family), Status: types.TaskDefinitionStatusActive,
			Sort: types.SortOrderDesc, NextToken: token})
		if err != nil {
			return "", fmt.Errorf("list revisions of %s: %w", family, err)
		}
		for _, arn := range out.TaskDefinitionArns {
			f, r, err := splitRevision(arn)
			if err != nil || f != family {
				continue
			}
			if r < revision && r > bestRev {
				best, bestRev = arn, r
			}
		}
		if out.NextToken == nil {
			break
		}
		token = out.NextToken
	}
	if best == "" {
		return "", fmt.Errorf("task definition family %s has no ACTIVE revision below %d: nothing to roll back to", family, revision)
	}
	return best, nil
}

// splitRevision splits ".../family:12" or "family:12" into family and revision.
func splitRevision(arn string) (string, int, error) {
	s := shortARN(arn)
	i := strings.LastIndex(s, ":")
	if i < 0 {
		return "", 0, fmt.Errorf("task definition %q has no revision", arn)
	}
	n, err := strconv.Atoi(s[i+1:])
	if err != nil {
		return "", 0, fmt.Errorf("task definition %q has no numeric revision", arn)
	}
	return s[:i], n, nil
}

func isNumber(s string) bool {
	_, err := strconv.Atoi(s)
	return err == nil
}
