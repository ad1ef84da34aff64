package awsconfig

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/platformteam/delivery/pkg/environment"
)

// fakeSTS answers GetCallerIdentity for one account and records every action called, so a test can
// prove the guard made no other call.
type fakeSTS struct {
	account string
	mu      sync.Mutex
	actions []string
}

func (f *fakeSTS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	action := r.Form.Get("Action")
	if action == "" {
		action = r.Header.Get("X-Amz-Target")
	}
	f.mu.Lock()
	f.actions = append(f.actions, action)
	f.mu.Unlock()
	if action != "GetCallerIdentity" {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprintf(w, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>
<Arn>arn:aws:sts::%[1]s:assumed-role/deploy/ci</Arn><UserId>AROAEXAMPLE:ci</UserId><Account>%[1]s</Account>
</GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetCallerIdentityResponse>`, f.account)
}

func stagingAt(endpoint string) *environment.Environment {
	return &environment.Environment{Name: "staging", AccountID: "222222222222", Region: "ap-southeast-2", Endpoints: environment.Endpoints{AWS: endpoint}}
}

func TestConnectAcceptsTheEnvironmentsAccount(t *testing.T) {
	sts := &fakeSTS{account: "222222222222"}
	srv := httptest.NewServer(sts)
	defer srv.Close()
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
	cfg, id, err := Connect(context.Background(), stagingAt(srv.URL), Options{Getenv: getenv(nil)})
	if err != nil {
		t.Fatal(err)
	}
	if id.Account != "222222222222" || !strings.Contains(id.ARN, "assumed-role/deploy") || cfg.Region != "ap-southeast-2" {
		t.Fatalf("identity %+v region %s", id, cfg.Region)
	}
}

func TestConnectRefusesAnotherAccountWithNoOtherCall(t *testing.T) {
	sts := &fakeSTS{account: "333333333333"}
	srv := httptest.NewServer(sts)
	defer srv.Close()
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
	_, _, err := Connect(context.Background(), stagingAt(srv.URL), Options{Getenv: getenv(nil)})
	var mismatch *AccountMismatchError
	if !errors.As(err, &mismatch) || mismatch.Want != "222222222222" || mismatch.Got.Account != "333333333333" {
		t.Fatalf("want an account mismatch, got %v", err)
	}
	for _, want := range []string{"222222222222", "333333333333", "staging", "environments/staging/delivery.yaml", "refusing"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error must name %q: %v", want, err)
		}
	}
	if len(sts.actions) != 1 || sts.actions[0] != "GetCallerIdentity" {
		t.Fatalf("the guard may call only GetCallerIdentity, called %v", sts.actions)
	}
}

func TestGuardReportsUnreachableSTS(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, `<ErrorResponse><Error><Code>InvalidClientTokenId</Code><Message>The security token included in the request is invalid.</Message></Error></ErrorResponse>`)
	}))
	defer srv.Close()
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
	_, _, err := Connect(context.Background(), stagingAt(srv.URL), Options{Getenv: getenv(nil)})
	if err == nil || !strings.Contains(err.Error(), "sts:GetCallerIdentity") || !strings.Contains(err.Error(), "InvalidClientTokenId") {
		t.Fatalf("want a clear credentials error, got %v", err)
	}
}
