package release

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/platformteam/delivery/pkg/deploylock"
	"github.com/platformteam/delivery/pkg/release/api"
)

// DefaultLockWait is how long a deploy waits for another deploy of the same service or release.
const DefaultLockWait = 10 * time.Minute

// LockOptions say how a deploy takes its lock.
type LockOptions struct {
	// Wait is how long to wait for another deploy's lock; negative refuses at once; 0 is DefaultLockWait.
	Wait time.Duration
	// Who names this deploy (default deploylock.Who from the environment variables).
	Who string
}

// lock takes the deploy lock of one target's service or release in the environment's account, for a
// deploy whose own budget is hold.
func (a *Access) lock(ctx context.Context, target api.Target, name, commit string, hold time.Duration) (*deploylock.Lease, error) {
	key, err := deploylock.Key(a.Env.Name, string(target), name)
	if err != nil {
		return nil, err
	}
	cfg, err := a.AWS(ctx)
	if err != nil {
		return nil, err
	}
	wait := a.Lock.Wait
	switch {
	case wait == 0:
		wait = DefaultLockWait
	case wait < 0:
		wait = 0
	}
	who := a.Lock.Who
	if who == "" {
		host, _ := os.Hostname()
		who = deploylock.Who(a.Conn.getenv, host)
	}
	locker := &deploylock.Locker{Store: deploylock.SSMStore{API: ssm.NewFromConfig(cfg)}, Out: a.Out}
	lease, err := locker.Acquire(ctx, deploylock.Request{Key: key, Who: who, Commit: commit, Wait: wait, Hold: hold})
	if err != nil {
		return nil, fmt.Errorf("%s deploy refused: %w", target, err)
	}
	fmt.Fprintf(a.Out, "deploy lock %s taken (%s)\n", key, who)
	return lease, nil
}

// release gives the lock back, adding a failure to release to err.
func releaseLock(ctx context.Context, a *Access, lease *deploylock.Lease, err *error) {
	if rerr := lease.Release(ctx); rerr != nil {
		fmt.Fprintf(a.Out, "warning: %v\n", rerr)
		if *err == nil {
			*err = rerr
		}
	}
}

// Unlock removes a deploy lock by its token (a stale lock whose holder died).
func Unlock(ctx context.Context, a *Access, key, token string) error {
	cfg, err := a.AWS(ctx)
	if err != nil {
		return err
	}
	locker := &deploylock.Locker{Store: deploylock.SSMStore{API: ssm.NewFromConfig(cfg)}, Out: a.Out}
	return locker.Unlock(ctx, key, token)
}
