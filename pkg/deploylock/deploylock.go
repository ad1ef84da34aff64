// Package deploylock lets one deploy at a time change an environment's service (ECS) or release
// (EKS). The lock is a record naming its holder — who, which commit, since when, until when — created
// only if absent (an SSM parameter in the environment's account: SSMStore). A second deploy waits for
// it with progress up to a timeout, or refuses at once, and names the holder either way. The holder
// releases it on every exit path, including cancellation; a holder that died leaves a lock that is
// stale once its expiry passes, which the waiting deploy reports with the command that removes it.
package deploylock

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"
)

// Holder is who holds a lock. It is stored as JSON.
type Holder struct {
	// Who is the person or CI run ("alice@laptop", "github run https://…/actions/runs/123").
	Who    string `json:"who"`
	Commit string `json:"commit"`
	// Since is when the lock was taken; Expires when it is stale if still held (a deploy's budget).
	Since   time.Time `json:"since"`
	Expires time.Time `json:"expires"`
	// Token identifies this acquisition: only its holder (or an explicit unlock naming it) removes it.
	Token string `json:"token"`
}

// Stale reports whether the lock outlived its holder's budget (the holder most likely died).
func (h Holder) Stale(now time.Time) bool { return now.After(h.Expires) }

// Describe is one line naming the holder.
func (h Holder) Describe(now time.Time) string {
	s := fmt.Sprintf("%s (commit %s) since %s (%s ago)", h.Who, orUnknown(shortCommit(h.Commit)),
		h.Since.UTC().Format(time.RFC3339), now.Sub(h.Since).Round(time.Second))
	if h.Stale(now) {
		s += fmt.Sprintf(", STALE: expired %s ago", now.Sub(h.Expires).Round(time.Second))
	}
	return s
}

// Store keeps lock records. Create must be atomic: of two concurrent creates of one key, one wins.
type Store interface {
	// Create stores h under key unless a record exists; created is false when one does.
	Create(ctx context.Context, key string, h Holder) (created bool, err error)
	// Read returns the record under key, nil when there is none.
	Read(ctx context.Context, key string) (*Holder, error)
	// Delete removes the record under key if its token is token (no record: nil).
	Delete(ctx context.Context, key, token string) error
	// Where names the record for messages ("SSM parameter /delivery/deploy-locks/staging/ecs/demo-app").
	Where(key string) string
}

// Clock is the time source (tests pass a fake).
type Clock interface {
	Now() time.Time
	Sleep(ctx context.Context, d time.Duration) error
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }
func (realClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Locker takes and releases locks in a Store.
type Locker struct {
	Store Store
	// Out receives progress lines while waiting (io.Discard when nil).
	Out io.Writer
	// Clock is the wall clock when nil.
	Clock Clock
	// Poll is how often a waiting deploy looks again (default 2s).
	Poll time.Duration
}

// Request is one acquisition.
type Request struct {
	// Key names what is locked: Key(env, target, name).
	Key    string
	Who    string
	Commit string
	// Wait is how long to wait for a held lock; 0 refuses at once.
	Wait time.Duration
	// Hold is the most the holder expects to hold it (the deploy's whole budget); past it the lock is stale.
	Hold time.Duration
}

var keyPart = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// Key is the lock of one environment's service or release on one target ("staging/ecs/demo-app").
func Key(env, target, name string) (string, error) {
	for _, p := range []string{env, target, name} {
		if !keyPart.MatchString(p) {
			return "", fmt.Errorf("deploy lock: %q is not a valid name part (letters, digits, _ . -)", p)
		}
	}
	return env + "/" + target + "/" + name, nil
}

// HeldError is a lock another deploy holds.
type HeldError struct {
	Key    string
	Where  string
	Holder Holder
	// Waited is how long this deploy waited (0: it refused at once).
	Waited time.Duration
	Now    time.Time
}

func (e *HeldError) Error() string {
	msg := fmt.Sprintf("another deploy holds %s: %s", e.Key, e.Holder.Describe(e.Now))
	if e.Waited > 0 {
		msg += fmt.Sprintf("; waited %s", e.Waited.Round(time.Second))
	}
	if e.Holder.Stale(e.Now) {
		env, _, _ := strings.Cut(e.Key, "/")
		return msg + fmt.Sprintf(": its holder most likely died; check that no deploy is running, then remove it with `release unlock --env %s --key %s --token %s` (%s)",
			env, e.Key, e.Holder.Token, e.Where)
	}
	return msg + ": retry when it finishes, or pass a longer --lock-timeout to wait for it"
}

// Lease is a held lock. Release it exactly as the deploy ends (defer it).
type Lease struct {
	Key    string
	Holder Holder
	locker *Locker
}

// Acquire takes the lock, waiting for a holder up to req.Wait with one progress line per change of
// holder (and a heartbeat every 30 s), or returns a *HeldError naming the holder.
func (l *Locker) Acquire(ctx context.Context, req Request) (*Lease, error) {
	if req.Key == "" || req.Who == "" || req.Hold <= 0 {
		return nil, errors.New("deploy lock: key, who and a positive hold are required")
	}
	clock, out := l.clock(), l.out()
	poll := l.Poll
	if poll <= 0 {
		poll = 2 * time.Second
	}
	token, err := newToken()
	if err != nil {
		return nil, err
	}
	start := clock.Now()
	deadline := start.Add(req.Wait)
	lastHolder, lastPrint := "", start
	for {
		now := clock.Now()
		h := Holder{Who: req.Who, Commit: req.Commit, Since: now.UTC(), Expires: now.Add(req.Hold).UTC(), Token: token}
		created, err := l.Store.Create(ctx, req.Key, h)
		if err != nil {
			return nil, fmt.Errorf("deploy lock %s: %w", l.Store.Where(req.Key), err)
		}
		if created {
			if lastHolder != "" { // it waited for another holder
				fmt.Fprintf(out, "deploy lock %s taken after waiting %s\n", req.Key, now.Sub(start).Round(time.Second))
			}
			return &Lease{Key: req.Key, Holder: h, locker: l}, nil
		}
		held, err := l.Store.Read(ctx, req.Key)
		if err != nil {
			return nil, fmt.Errorf("deploy lock %s: %w", l.Store.Where(req.Key), err)
		}
		if held == nil {
			continue // released between our create and our read: try again at once
		}
		now = clock.Now()
		if req.Wait <= 0 || !now.Before(deadline) {
			return nil, &HeldError{Key: req.Key, Where: l.Store.Where(req.Key), Holder: *held, Waited: now.Sub(start), Now: now}
		}
		if desc := held.Who + "|" + held.Token; desc != lastHolder || now.Sub(lastPrint) >= 30*time.Second {
			fmt.Fprintf(out, "deploy lock %s is held by %s; waiting (%s left)\n", req.Key, held.Describe(now), deadline.Sub(now).Round(time.Second))
			lastHolder, lastPrint = desc, now
		}
		wait := poll
		if left := deadline.Sub(now); wait > left {
			wait = left
		}
		if err := clock.Sleep(ctx, wait); err != nil {
			return nil, fmt.Errorf("deploy lock %s: cancelled while waiting for %s: %w", req.Key, held.Who, err)
		}
	}
}

// Release removes the lock. It runs even when ctx is cancelled (a cancelled deploy still releases),
// bounded by 15 s.
func (l *Lease) Release(ctx context.Context) error {
	if l == nil {
		return nil
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	if err := l.locker.Store.Delete(rctx, l.Key, l.Holder.Token); err != nil {
		env, _, _ := strings.Cut(l.Key, "/")
		return fmt.Errorf("release deploy lock %s: %w (remove it with `release unlock --env %s --key %s --token %s`)", l.Key, err, env, l.Key, l.Holder.Token)
	}
	return nil
}

// Unlock removes a lock by its token, as an operator does for a stale one. A lock held under another
// token is left alone and named.
func (l *Locker) Unlock(ctx context.Context, key, token string) error {
	h, err := l.Store.Read(ctx, key)
	if err != nil {
		return fmt.Errorf("deploy lock %s: %w", l.Store.Where(key), err)
	}
	if h == nil {
		return fmt.Errorf("deploy lock %s is not held", key)
	}
	if h.Token != token {
		return fmt.Errorf("deploy lock %s is held by %s under another token: not removed", key, h.Describe(l.clock().Now()))
	}
	return l.Store.Delete(ctx, key, token)
}

// Inspect returns the current holder of key (nil: free).
func (l *Locker) Inspect(ctx context.Context, key string) (*Holder, error) {
	return l.Store.Read(ctx, key)
}

func (l *Locker) clock() Clock {
	if l.Clock == nil {
		return realClock{}
	}
	return l.Clock
}

func (l *Locker) out() io.Writer {
	if l.Out == nil {
		return io.Discard
	}
	return l.Out
}

func newToken() (string, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("deploy lock token: %w", err)
	}
	return hex.EncodeToString(b), nil
}

func shortCommit(c string) string {
	if len(c) > 12 {
		return c[:12]
	}
	return c
}

func orUnknown(s string) string {
	if strings.TrimSpace(s) == "" {
		return "unknown"
	}
	return s
}

// Who names the deploy for the lock from the environment it runs in: the CI run when there is one
// (GitHub Actions, CodeBuild), else user@host. getenv is usually os.Getenv.
func Who(getenv func(string) string, hostname string) string {
	switch {
	case getenv("GITHUB_RUN_ID") != "":
		who := fmt.Sprintf("github run %s/%s/actions/runs/%s", strings.TrimRight(getenv("GITHUB_SERVER_URL"), "/"), getenv("GITHUB_REPOSITORY"), getenv("GITHUB_RUN_ID"))
		if a := getenv("GITHUB_ACTOR"); a != "" {
			who += " (" + a + ")"
		}
		return who
	case getenv("CODEBUILD_BUILD_ID") != "":
		return "codebuild " + getenv("CODEBUILD_BUILD_ID")
	}
	user := getenv("USER")
	if user == "" {
		user = "unknown"
	}
	if hostname == "" {
		hostname = "unknown-host"
	}
	return user + "@" + hostname
}
