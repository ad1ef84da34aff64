package ecrtoken

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"
)

func TestSignVerify(t *testing.T) {
	now := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	s := New([]byte(strings.Repeat("k", 32)))
	c := Claims{Principal: "arn:aws:sts::222222222222:assumed-role/deploy/gha", Account: "222222222222", AccessKeyID: "ASIA1", Expires: now.Add(Lifetime)}
	pw, err := s.Sign(c)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Verify(pw, now.Add(time.Hour))
	if err != nil || got.Principal != c.Principal || !got.Expires.Equal(c.Expires) {
		t.Fatalf("verify: %+v %v", got, err)
	}
	if _, err := s.Verify(pw, now.Add(Lifetime)); err != ErrExpired {
		t.Errorf("after 12h: %v", err)
	}
	if _, err := New([]byte(strings.Repeat("x", 32))).Verify(pw, now); err != ErrInvalid {
		t.Errorf("another twin's key: %v", err)
	}
	other := c
	other.Principal = "arn:aws:sts::222222222222:assumed-role/admin/x"
	otherPw, _ := s.Sign(other)
	// The other claims with this password's signature.
	forged := otherPw[:strings.LastIndex(otherPw, ".")] + pw[strings.LastIndex(pw, "."):]
	if _, err := s.Verify(forged, now); err != ErrInvalid {
		t.Errorf("changed claims: %v", err)
	}
	tok, _ := base64.StdEncoding.DecodeString(AuthorizationToken(pw))
	if string(tok) != "AWS:"+pw {
		t.Errorf("authorization token decodes to %q", tok)
	}
}
