package oidc

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// VerifyError is a token refusal with the error code AWS STS answers for it.
type VerifyError struct {
	Code    string // InvalidIdentityToken or ExpiredTokenException
	Message string
}

func (e *VerifyError) Error() string { return e.Code + ": " + e.Message }

func invalid(format string, args ...any) *VerifyError {
	return &VerifyError{Code: "InvalidIdentityToken", Message: fmt.Sprintf(format, args...)}
}

// Verifier checks tokens of one issuer.
type Verifier struct {
	Issuer string                    // expected iss
	Keys   map[string]*rsa.PublicKey // by kid
	// Leeway tolerates clock skew on nbf/iat.
	Leeway time.Duration
}

// Verifier returns a verifier for the issuer's own tokens.
func (i *Issuer) Verifier() *Verifier {
	return &Verifier{Issuer: GitHubIssuer, Keys: map[string]*rsa.PublicKey{i.kid: i.PublicKey()}, Leeway: time.Minute}
}

// Verify checks the token's signature (RS256, known kid), issuer, time window, and that its audience
// is one of audiences (the OIDC provider's client IDs). It returns the claims.
func (v *Verifier) Verify(token string, audiences []string, now time.Time) (Claims, error) {
	var c Claims
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return c, invalid("The token is not a JWT (three dot-separated parts).")
	}
	var header struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
	}
	if err := decodePart(parts[0], &header); err != nil {
		return c, invalid("The token header is not valid: %v", err)
	}
	if header.Alg != "RS256" {
		return c, invalid("The token is signed with %q; RS256 is required.", header.Alg)
	}
	key, ok := v.Keys[header.Kid]
	if !ok {
		return c, invalid("The token's key ID %q is not in the identity provider's key set.", header.Kid)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return c, invalid("The token signature is not base64url.")
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(key, crypto.SHA256, digest[:], sig); err != nil {
		return c, invalid("The token signature does not verify with the identity provider's keys.")
	}
	if err := decodePart(parts[1], &c); err != nil {
		return c, invalid("The token claims are not valid: %v", err)
	}
	if c.Issuer != v.Issuer {
		return c, invalid("No OpenIDConnect provider found in your account for %s", c.Issuer)
	}
	if c.Expiry == 0 || !now.Before(time.Unix(c.Expiry, 0)) {
		return c, &VerifyError{Code: "ExpiredTokenException",
			Message: fmt.Sprintf("Token expired: current date/time %d must be before the expiration date/time %d", now.Unix(), c.Expiry)}
	}
	if c.NotBefore != 0 && now.Add(v.Leeway).Before(time.Unix(c.NotBefore, 0)) {
		return c, invalid("The token is not valid before %d (now %d).", c.NotBefore, now.Unix())
	}
	for _, a := range audiences {
		if a == c.Audience {
			return c, nil
		}
	}
	return c, invalid("Incorrect token audience")
}

func decodePart(part string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(part)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}
