package release

import (
	"context"
	"time"

	"github.com/platformteam/delivery/pkg/ecsdeploy"
	"github.com/platformteam/delivery/pkg/helmdeploy"
	"github.com/platformteam/delivery/pkg/release/api"
)

// restartCommit stands for the commit in the lock a restart holds: it deploys nothing new.
const restartCommit = "restart"

// historyLimit is how many task definition revisions `ecs history` shows.
const historyLimit = 10

// RestartECS replaces every task of the environment's ECS service with the same task definition
// (same image digest): after a secret rotation, new tasks read the new value. It waits like a deploy
// and holds the service's deploy lock (a restart and a deploy never overlap).
func RestartECS(ctx context.Context, a *Access, timeout time.Duration) (res api.ECSRestart, err error) {
	d, err := a.ECSDeployer(ctx)
	if err != nil {
		return api.ECSRestart{}, err
	}
	if timeout <= 0 {
		timeout = a.Env.ECS.Timeout.Duration
	}
	lease, err := a.lock(ctx, api.ECS, a.Env.ECS.Service, restartCommit, timeout+5*time.Minute)
	if err != nil {
		return api.ECSRestart{}, err
	}
	defer releaseLock(ctx, a, lease, &err)
	return d.Restart(ctx, ecsdeploy.RestartRequest{Cluster: a.Env.ECS.Cluster, Service: a.Env.ECS.Service, Timeout: timeout})
}

// RestartEKS replaces every pod of the environment's Helm release with an identical one (the pod
// template's restartedAt annotation changes, the Helm revision does not). It waits like a deploy,
// failing fast on pods that can never start, and holds the release's deploy lock.
func RestartEKS(ctx context.Context, a *Access, failFast helmdeploy.FailFast, timeout time.Duration) (res api.EKSRestart, err error) {
	d, err := a.HelmDeployer(ctx)
	if err != nil {
		return api.EKSRestart{}, err
	}
	d.FailFast = failFast
	if timeout <= 0 {
		timeout = a.Env.EKS.Timeout.Duration
	}
	lease, err := a.lock(ctx, api.EKS, a.Env.EKS.Release, restartCommit, timeout+time.Minute)
	if err != nil {
		return api.EKSRestart{}, err
	}
	defer releaseLock(ctx, a, lease, &err)
	res, err = d.Restart(ctx, helmdeploy.RestartRequest{Release: a.Env.EKS.Release, Namespace: a.Env.EKS.Namespace, Timeout: timeout})
	return res, a.explainCluster(ctx, err)
}

// HistoryECS lists the service family's latest task definition revisions, newest first, marking the
// one the service runs.
func HistoryECS(ctx context.Context, a *Access) (api.ECSHistory, error) {
	d, err := a.ECSDeployer(ctx)
	if err != nil {
		return api.ECSHistory{}, err
	}
	return d.History(ctx, a.Env.ECS.Cluster, a.Env.ECS.Service, historyLimit)
}

// HistoryEKS lists the Helm release's revisions, newest first, with the image each deployed.
func HistoryEKS(ctx context.Context, a *Access) ([]api.EKSRevision, error) {
	d, err := a.HelmDeployer(ctx)
	if err != nil {
		return nil, err
	}
	revs, err := d.History(ctx, a.Env.EKS.Release, a.Env.EKS.Namespace)
	return revs, a.explainCluster(ctx, err)
}
