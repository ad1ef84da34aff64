// Package ecrtoken is the twin's ECR registry password: what GetAuthorizationToken hands out (as
// "AWS:<password>", base64) and what the registry fronts accept. Like ECR's, it is signed by the
// service, expires (12 hours), and names the principal whose IAM permissions every registry call is
// then checked against.
package ecrtoken

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Lifetime is how long a token is valid (ECR: 12 hours).
const Lifetime = 12 * time.Hour

// Username is the user name of every ECR login.
const Username = "AWS"

const prefix = "twin-ecr-1."

// Claims are what a password asserts.
type Claims struct {
	Principal   string    `json:"principal"` // the caller ARN that asked for the token
	Account     string    `json:"account"`   // the caller's account
	AccessKeyID string    `json:"access_key_id"`
	Expires     time.Time `json:"expires"`
}

// Signer signs and verifies passwords with an HMAC key.
type Signer struct{ key []byte }

// LoadOrCreate reads the key at path, creating a random one (0600) when missing.
func LoadOrCreate(path string) (*Signer, error) {
	key, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, err
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, err
		}
		if err := os.WriteFile(path, key, 0o600); err != nil {
			return nil, fmt.Errorf("write the ECR token key: %w", err)
		}
		return &Signer{key: key}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the ECR token key %s: %w", path, err)
	}
	if len(key) < 32 {
		return nil, fmt.Errorf("ECR token key %s is too short (delete it; the front makes a new one)", path)
	}
	return &Signer{key: key}, nil
}

// New returns a signer with key (tests).
func New(key []byte) *Signer { return &Signer{key: key} }

// Sign returns the password for c.
func (s *Signer) Sign(c Claims) (string, error) {
	payload, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	body := prefix + base64.RawURLEncoding.EncodeToString(payload)
	return body + "." + base64.RawURLEncoding.EncodeToString(s.mac(body)), nil
}

func (s *Signer) mac(body string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(body))
	return m.Sum(nil)
}

// ErrInvalid is returned for a password this signer did not issue.
var ErrInvalid = errors.New("the registry password was not issued by this twin's GetAuthorizationToken")

// ErrExpired is returned for an expired password.
var ErrExpired = errors.New("the registry password has expired: call GetAuthorizationToken again")

// Verify checks a password and returns its claims.
func (s *Signer) Verify(password string, now time.Time) (Claims, error) {
	var c Claims
	i := strings.LastIndex(password, ".")
	if !strings.HasPrefix(password, prefix) || i < len(prefix) {
		return c, ErrInvalid
	}
	body, sig := password[:i], password[i+1:]
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, s.mac(body)) {
		return c, ErrInvalid
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(body, prefix))
	if err != nil || json.Unmarshal(payload, &c) != nil {
		return c, ErrInvalid
	}
	if !now.Before(c.Expires) {
		return c, ErrExpired
	}
	return c, nil
}

// AuthorizationToken is the base64 of "AWS:<password>", as ECR returns it.
func AuthorizationToken(password string) string {
	return base64.StdEncoding.EncodeToString([]byte(Username + ":" + password))
}
