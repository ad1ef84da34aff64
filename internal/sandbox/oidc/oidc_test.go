package oidc

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var now = time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)

func TestJobSubjects(t *testing.T) {
	repo := "platformteam/delivery"
	cases := map[string]Job{
		"repo:platformteam/delivery:environment:staging": {Repository: repo, Event: "push", Ref: "refs/heads/main", Environment: "staging"},
		"repo:platformteam/delivery:pull_request":        {Repository: repo, Event: "pull_request", Ref: "refs/pull/7/merge"},
		"repo:platformteam/delivery:ref:refs/heads/main": {Repository: repo, Event: "schedule", Ref: "refs/heads/main"},
		// A pull request job that declares an environment gets the environment subject.
		"repo:platformteam/delivery:environment:production": {Repository: repo, Event: "pull_request", Ref: "refs/pull/7/merge", Environment: "production"},
	}
	for want, job := range cases {
		if got := job.Subject(); got != want {
			t.Errorf("%+v: subject %s, want %s", job, got, want)
		}
	}
	c := cases["repo:platformteam/delivery:environment:staging"].Claims(STSAudience)
	if c.RepositoryOwner != "platformteam" || c.Issuer != GitHubIssuer || c.Audience != STSAudience || c.RefType != "branch" {
		t.Errorf("claims: %+v", c)
	}
}

func TestMintVerifyRoundTripAndRefusals(t *testing.T) {
	iss, err := LoadOrCreate(filepath.Join(t.TempDir(), "oidc", "key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	job := Job{Repository: "platformteam/delivery", Event: "push", Ref: "refs/heads/main", Environment: "staging", SHA: "abc", RunID: "42"}
	tok, err := iss.Mint(job.Claims(STSAudience), now)
	if err != nil {
		t.Fatal(err)
	}
	v := iss.Verifier()
	c, err := v.Verify(tok, []string{STSAudience}, now.Add(time.Minute))
	if err != nil {
		t.Fatalf("a fresh token was refused: %v", err)
	}
	if c.Subject != "repo:platformteam/delivery:environment:staging" || c.SHA != "abc" || c.JTI == "" || c.Expiry-c.IssuedAt != int64(DefaultLifetime/time.Second) {
		t.Errorf("claims after the round trip: %+v", c)
	}

	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	forged, _ := New(other).Mint(job.Claims(STSAudience), now)
	forgedSameKid := strings.Split(forged, ".")
	genuine := strings.Split(tok, ".")
	tampered := genuine[0] + "." + b64([]byte(`{"iss":"`+GitHubIssuer+`","sub":"repo:platformteam/delivery:environment:production","aud":"sts.amazonaws.com","exp":9999999999}`)) + "." + genuine[2]

	cases := []struct {
		name, token string
		audiences   []string
		at          time.Time
		code        string
	}{
		{"another key", forged, []string{STSAudience}, now, "InvalidIdentityToken"},
		{"another key under our kid", genuine[0] + "." + forgedSameKid[1] + "." + forgedSameKid[2], []string{STSAudience}, now, "InvalidIdentityToken"},
		{"claims changed after signing", tampered, []string{STSAudience}, now, "InvalidIdentityToken"},
		{"expired", tok, []string{STSAudience}, now.Add(DefaultLifetime), "ExpiredTokenException"},
		{"audience not a client id", tok, []string{"other"}, now, "InvalidIdentityToken"},
		{"not a JWT", "abc.def", []string{STSAudience}, now, "InvalidIdentityToken"},
	}
	for _, tc := range cases {
		_, err := v.Verify(tc.token, tc.audiences, tc.at)
		ve, ok := err.(*VerifyError)
		if !ok || ve.Code != tc.code {
			t.Errorf("%s: got %v, want %s", tc.name, err, tc.code)
		}
	}
	wrongIssuer := iss.Verifier()
	wrongIssuer.Issuer = "https://other.example"
	if _, err := wrongIssuer.Verify(tok, []string{STSAudience}, now); err == nil || !strings.Contains(err.Error(), "No OpenIDConnect provider") {
		t.Errorf("issuer mismatch: %v", err)
	}
}

func TestKeyPersistsAndHandlerServesJWKS(t *testing.T) {
	path := filepath.Join(t.TempDir(), "key.pem")
	first, err := LoadOrCreate(path)
	if err != nil {
		t.Fatal(err)
	}
	info, _ := os.Stat(path)
	if info.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", info.Mode().Perm())
	}
	second, err := LoadOrCreate(path)
	if err != nil || second.KeyID() != first.KeyID() {
		t.Fatalf("the key changed on reload: %v", err)
	}
	srv := httptest.NewServer(first.Handler("http://127.0.0.1:4568/"))
	defer srv.Close()
	var disc Discovery
	getJSON(t, srv.URL+"/.well-known/openid-configuration", &disc)
	if disc.Issuer != GitHubIssuer || disc.JWKSURI != "http://127.0.0.1:4568/.well-known/jwks" {
		t.Errorf("discovery: %+v", disc)
	}
	var set JWKS
	getJSON(t, srv.URL+"/.well-known/jwks", &set)
	keys, err := set.PublicKeys()
	if err != nil {
		t.Fatal(err)
	}
	// A verifier built from the served key set alone accepts the issuer's tokens.
	tok, _ := first.Mint(Claims{Subject: "repo:o/r:pull_request", Audience: STSAudience}, now)
	if _, err := (&Verifier{Issuer: GitHubIssuer, Keys: keys}).Verify(tok, []string{STSAudience}, now); err != nil {
		t.Errorf("verification with the served JWKS: %v", err)
	}
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}
