package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// fakeSTS answers sts:GetCallerIdentity for one account and records every request's action.
type fakeSTS struct {
	account string
	mu      sync.Mutex
	actions []string
}

func (f *fakeSTS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	form, _ := url.ParseQuery(string(body))
	f.mu.Lock()
	f.actions = append(f.actions, form.Get("Action"))
	f.mu.Unlock()
	if form.Get("Action") != "GetCallerIdentity" {
		http.Error(w, "unexpected call", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprintf(w, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
<GetCallerIdentityResult><Arn>arn:aws:iam::%[1]s:role/deployer</Arn><UserId>AROAEXAMPLE</UserId><Account>%[1]s</Account></GetCallerIdentityResult>
<ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetCallerIdentityResponse>`, f.account)
}

func (f *fakeSTS) calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.actions...)
}

func startSTS(t *testing.T, account string) (*fakeSTS, string) {
	t.Helper()
	f := &fakeSTS{account: account}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_ENDPOINT_URL", srv.URL)
	return f, srv.URL
}

// The local environment is account 123456789012 (environments/local/delivery.yaml).
const localAccount = "123456789012"

func TestAccountPrintsWhoTheCredentialsAre(t *testing.T) {
	sts, _ := startSTS(t, localAccount)
	out, err := capture(t, "account", "--env", "local", "--root", "../..", "--json")
	if err != nil {
		t.Fatalf("matching account refused: %v", err)
	}
	var id struct {
		Account string `json:"account"`
		ARN     string `json:"arn"`
	}
	if err := json.Unmarshal([]byte(out), &id); err != nil || id.Account != localAccount || !strings.HasSuffix(id.ARN, ":role/deployer") {
		t.Fatalf("identity %q (%v)", out, err)
	}
	if got := sts.calls(); len(got) != 1 {
		t.Fatalf("calls %v", got)
	}
}

func TestAccountRefusesAnotherAccountNamingBoth(t *testing.T) {
	sts, _ := startSTS(t, "210987654321")
	_, err := capture(t, "account", "--env", "local", "--root", "../..")
	if exitCode(err) != 1 {
		t.Fatalf("another account must exit 1, got %v", err)
	}
	for _, want := range []string{"account 210987654321", "environment local is account 123456789012", "refusing to make any call"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal %q lacks %q", err, want)
		}
	}
	if got := sts.calls(); len(got) != 1 || got[0] != "GetCallerIdentity" {
		t.Fatalf("the guard may call sts:GetCallerIdentity only, once: %v", got)
	}
}

// plan, apply, drift and output run the guard before any terraform command: with another account's
// credentials nothing runs (the terraform given records every run).
func TestRunCommandsRefuseAnotherAccountBeforeTerraform(t *testing.T) {
	for _, action := range []string{"plan", "apply", "drift", "output"} {
		t.Run(action, func(t *testing.T) {
			sts, _ := startSTS(t, "210987654321")
			dir := t.TempDir()
			ran := filepath.Join(dir, "ran")
			tf := filepath.Join(dir, "terraform")
			if err := os.WriteFile(tf, []byte("#!/bin/sh\necho \"$@\" >> "+ran+"\nexit 1\n"), 0o755); err != nil {
				t.Fatal(err)
			}
			out, err := capture(t, action, "--env", "local", "--root", "../..", "--stack", "shared/vpc", "--binary", tf,
				"--plan-dir", t.TempDir(), "--json")
			if exitCode(err) != 1 {
				t.Fatalf("exit %d (%v)", exitCode(err), err)
			}
			if !strings.Contains(err.Error(), "refused before any terraform command") || !strings.Contains(err.Error(), "account 210987654321") {
				t.Fatalf("refusal: %v\n%s", err, out)
			}
			if got := sts.calls(); len(got) != 1 || got[0] != "GetCallerIdentity" {
				t.Fatalf("calls %v", got)
			}
			if runs, err := os.ReadFile(ran); err == nil {
				t.Fatalf("terraform ran after the refusal: %s", runs)
			}
		})
	}
}
