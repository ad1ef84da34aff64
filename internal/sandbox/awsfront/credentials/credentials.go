// Package credentials is the AWS twin's credential registry: every access key moto issues (the
// bootstrap admins, CreateAccessKey, AssumeRole, AssumeRoleWithWebIdentity) is recorded here as it
// passes through the AWS front, with its secret, session token, principal, account and expiry.
//
// moto cannot verify a presigned request (the EKS token) and checks identity policies against
// resource "*" only, so the twin authenticates every request itself: it needs the secret of every
// credential moto issued. The registry persists to an append-only JSON-lines file (0600), so a
// restarted front still knows the keys a running moto issued.
package credentials

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"
)

// Credential is one access key moto issued and the principal it acts as.
type Credential struct {
	AccessKeyID     string `json:"access_key_id"`
	SecretAccessKey string `json:"secret_access_key"`
	// SessionToken is set for temporary credentials (assumed roles); requests must carry it.
	SessionToken string `json:"session_token,omitempty"`
	// Principal is the caller ARN AWS reports: arn:aws:iam::<account>:user/<name> or
	// arn:aws:sts::<account>:assumed-role/<role>/<session>.
	Principal string `json:"principal"`
	// UserID is what GetCallerIdentity reports as UserId (AIDA… for users, AROA…:<session> for roles).
	UserID  string `json:"user_id,omitempty"`
	Account string `json:"account"`
	// Expires is when temporary credentials stop working; zero for long-lived user keys.
	Expires time.Time `json:"expires,omitzero"`
	// Source names how the key was issued (Bootstrap, CreateAccessKey, AssumeRole, ...).
	Source string `json:"source,omitempty"`
}

// Expired reports whether the credential is temporary and past its expiry at now.
func (c Credential) Expired(now time.Time) bool {
	return !c.Expires.IsZero() && !now.Before(c.Expires)
}

// RoleARN is the IAM role behind an assumed-role principal
// (arn:aws:sts::A:assumed-role/R/S → arn:aws:iam::A:role/R), or "" for any other principal. As in
// AWS's own mapping (EKS access entries, aws-iam-authenticator), a role path is not recoverable from
// the session ARN.
func (c Credential) RoleARN() string {
	return RoleARNOf(c.Principal)
}

// RoleARNOf maps an assumed-role session ARN to its role ARN ("" when principal is not one).
func RoleARNOf(principal string) string {
	parts := strings.SplitN(principal, ":", 6)
	if len(parts) != 6 || parts[2] != "sts" {
		return ""
	}
	rest, ok := strings.CutPrefix(parts[5], "assumed-role/")
	if !ok {
		return ""
	}
	role, _, ok := strings.Cut(rest, "/")
	if !ok || role == "" {
		return ""
	}
	return fmt.Sprintf("arn:%s:iam::%s:role/%s", parts[1], parts[4], role)
}

// Lookup finds the credential of an access key. It is what the rest of the twin (the AWS front, the
// registry front, the EKS token review) depends on.
type Lookup interface {
	Lookup(accessKeyID string) (Credential, bool)
}

// Registry is the in-memory registry, optionally backed by a file. The zero value is not usable:
// create it with New or Open.
type Registry struct {
	mu    sync.RWMutex
	keys  map[string]Credential
	path  string // "" = memory only
	clock func() time.Time
}

// New returns an empty registry kept in memory only.
func New() *Registry {
	return &Registry{keys: map[string]Credential{}, clock: time.Now}
}

// Open loads the registry file at path (missing = empty) and appends every later Add to it.
// Expired credentials are dropped on load.
func Open(path string) (*Registry, error) {
	r := New()
	r.path = path
	return loadInto(r)
}

func loadInto(r *Registry) (*Registry, error) {
	path := r.path
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return r, nil
	}
	if err != nil {
		return nil, fmt.Errorf("open the credential registry %s: %w", path, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	now := r.clock()
	for line := 1; sc.Scan(); line++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var c Credential
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			return nil, fmt.Errorf("credential registry %s line %d: %w (delete the file and run `sandbox up` to reseed)", path, line, err)
		}
		if c.AccessKeyID == "" || c.Expired(now) {
			continue
		}
		r.keys[c.AccessKeyID] = c
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read the credential registry %s: %w", path, err)
	}
	return r, nil
}

// SetClock replaces the clock used to drop expired credentials (tests).
func (r *Registry) SetClock(now func() time.Time) { r.clock = now }

// Add records c (replacing an earlier record of the same key) and appends it to the file.
func (r *Registry) Add(c Credential) error {
	if c.AccessKeyID == "" || c.SecretAccessKey == "" || c.Account == "" {
		return fmt.Errorf("credential registry: refusing an incomplete credential (key %q, account %q)", c.AccessKeyID, c.Account)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.keys[c.AccessKeyID] = c
	if r.path == "" {
		return nil
	}
	line, err := json.Marshal(c)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(r.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("record credential %s: %w", c.AccessKeyID, err)
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("record credential %s: %w", c.AccessKeyID, err)
	}
	return f.Close()
}

// Lookup implements Lookup. Expired credentials are returned too (with their expiry), so callers can
// answer ExpiredToken rather than "unknown key", as AWS does.
func (r *Registry) Lookup(accessKeyID string) (Credential, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	c, ok := r.keys[accessKeyID]
	return c, ok
}

// Len is the number of credentials known.
func (r *Registry) Len() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.keys)
}
