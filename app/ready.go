package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"
)

// Check is one readiness dependency.
type Check struct {
	Name   string
	Target string
	Run    func(ctx context.Context) error
}

// CheckResult is one line of the /readyz report.
type CheckResult struct {
	Name       string `json:"name"`
	Target     string `json:"target"`
	OK         bool   `json:"ok"`
	DurationMS int64  `json:"duration_ms"`
	Error      string `json:"error,omitempty"`
}

// ReadyReport is the /readyz body.
type ReadyReport struct {
	Status string        `json:"status"` // "ready" or "not_ready"
	Reason string        `json:"reason,omitempty"`
	Checks []CheckResult `json:"checks"`
}

// BuildChecks turns the configuration into the list of enabled checks (each optional).
// Only the standard library is used, so the checks are deliberately shallow:
//   - s3: HTTP HEAD on READY_S3_URL; any status below 500 means the endpoint is reachable;
//   - db, redis: a TCP dial to host:port (proves routing and security groups, not credentials).
func BuildChecks(c Config, client *http.Client) []Check {
	var checks []Check
	if c.S3URL != "" {
		u := c.S3URL
		checks = append(checks, Check{Name: "s3", Target: u, Run: func(ctx context.Context) error {
			req, err := http.NewRequestWithContext(ctx, http.MethodHead, u, nil)
			if err != nil {
				return err
			}
			resp, err := client.Do(req)
			if err != nil {
				return err
			}
			resp.Body.Close()
			if resp.StatusCode >= 500 {
				return fmt.Errorf("HEAD returned %s", resp.Status)
			}
			return nil
		}})
	}
	for _, t := range []struct{ name, addr string }{{"db", c.DBAddr}, {"redis", c.RedisAddr}} {
		if t.addr == "" {
			continue
		}
		addr := t.addr
		checks = append(checks, Check{Name: t.name, Target: addr, Run: func(ctx context.Context) error {
			var d net.Dialer
			conn, err := d.DialContext(ctx, "tcp", addr)
			if err != nil {
				return err
			}
			return conn.Close()
		}})
	}
	return checks
}

// RunChecks runs every check concurrently, each bounded by timeout, and keeps the input order.
func RunChecks(ctx context.Context, checks []Check, timeout time.Duration) []CheckResult {
	results := make([]CheckResult, len(checks))
	var wg sync.WaitGroup
	for i, c := range checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			start := time.Now()
			err := c.Run(cctx)
			if err == nil && cctx.Err() != nil {
				err = cctx.Err()
			}
			r := CheckResult{Name: c.Name, Target: c.Target, OK: err == nil, DurationMS: time.Since(start).Milliseconds()}
			if err != nil {
				if errors.Is(err, context.DeadlineExceeded) || errors.Is(cctx.Err(), context.DeadlineExceeded) {
					r.Error = fmt.Sprintf("timed out after %s", timeout)
				} else {
					r.Error = err.Error()
				}
			}
			results[i] = r
		}()
	}
	wg.Wait()
	return results
}
