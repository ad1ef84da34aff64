package oidc

import (
	"encoding/json"
	"net/http"
	"strings"
)

// Discovery is the OpenID provider configuration document (the fields GitHub publishes that matter).
type Discovery struct {
	Issuer                           string   `json:"issuer"`
	JWKSURI                          string   `json:"jwks_uri"`
	SubjectTypesSupported            []string `json:"subject_types_supported"`
	ResponseTypesSupported           []string `json:"response_types_supported"`
	ClaimsSupported                  []string `json:"claims_supported"`
	IDTokenSigningAlgValuesSupported []string `json:"id_token_signing_alg_values_supported"`
	ScopesSupported                  []string `json:"scopes_supported"`
}

// Handler serves /.well-known/openid-configuration and /.well-known/jwks. baseURL is where the handler
// is reachable (http://127.0.0.1:4568); the issuer in the document stays GitHub's, as in the tokens.
func (i *Issuer) Handler(baseURL string) http.Handler {
	baseURL = strings.TrimSuffix(baseURL, "/")
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, Discovery{
			Issuer:                           GitHubIssuer,
			JWKSURI:                          baseURL + "/.well-known/jwks",
			SubjectTypesSupported:            []string{"public", "pairwise"},
			ResponseTypesSupported:           []string{"id_token"},
			ClaimsSupported:                  []string{"sub", "aud", "exp", "iat", "iss", "jti", "nbf", "ref", "repository", "repository_owner", "sha", "workflow", "job_workflow_ref", "event_name", "environment", "run_id", "actor"},
			IDTokenSigningAlgValuesSupported: []string{"RS256"},
			ScopesSupported:                  []string{"openid"},
		})
	})
	mux.HandleFunc("GET /.well-known/jwks", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, i.JWKS()) })
	return mux
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
