package awsfront

import (
	"encoding/base64"
	"encoding/json"
	"strings"
)

// decodeJWTClaims reads a JWT's claims without verifying it (to choose which checks apply).
func decodeJWTClaims(token string, v any) error {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// unverifiedAudience is the token's own aud: the verifier checks the audience against the provider's
// client IDs afterwards, so here any audience passes the signature check.
func unverifiedAudience(token string) string {
	var c struct {
		Audience string `json:"aud"`
	}
	_ = decodeJWTClaims(token, &c)
	return c.Audience
}
