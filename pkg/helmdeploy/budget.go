package helmdeploy

import "time"

// HelmBudget is the backstop deadline of one Helm install or upgrade with a wait of timeout: the
// pre-upgrade hooks, the wait, the post-upgrade hooks and the atomic rollback's wait may each take up
// to the timeout, plus a minute for the API calls between them.
func HelmBudget(timeout time.Duration) time.Duration { return 4*timeout + time.Minute }
