package awsfront

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/platformteam/delivery/internal/sandbox/awsfront/credentials"
	"github.com/platformteam/delivery/internal/sandbox/awsfront/ecrtoken"
	"github.com/platformteam/delivery/internal/sandbox/awsfront/sigv4"
	"github.com/platformteam/delivery/internal/sandbox/iameval"
	"github.com/platformteam/delivery/internal/sandbox/oidc"
)

// Config is the front's configuration, written by `sandbox up` as JSON (0600: it holds the admin
// identities) and read by the front's process.
type Config struct {
	// Listen is the AWS endpoint's address (127.0.0.1:4566).
	Listen string `json:"listen"`
	// Backend is moto's URL (http://127.0.0.1:4567).
	Backend string `json:"backend"`
	// Region is assumed for calls that name none (unsigned STS calls).
	Region string `json:"region"`
	// StateDir holds the front's state: the credential registry, KMS signing keys, the ECR token key.
	StateDir string    `json:"state_dir"`
	Accounts []Account `json:"accounts"`
	OIDC     OIDC      `json:"oidc"`
	// RegistryBackend is the docker-registry every registry front stores in (http://127.0.0.1:5000).
	RegistryBackend string `json:"registry_backend"`
	// LenientAccount, when set, lets calls with unknown or no credentials act as that account's admin
	// instead of being refused (the local environment's laptop path, until its clients pass real keys).
	LenientAccount string `json:"lenient_account,omitempty"`
	// EKS declares the twin clusters (none: EKS calls go to moto unchanged).
	EKS EKS `json:"eks,omitempty"`
	// ECSTime compresses the time of ECS deployments in the twin (sandbox only: AWS's minutes of step
	// intervals and bake times would make every test take minutes).
	ECSTime ECSTime `json:"ecs_time,omitempty"`
}

// ECSTime is how long ECS's units of deployment time last in the twin (zero: as in AWS, and one second
// per lifecycle stage).
type ECSTime struct {
	// MinuteSeconds is how many seconds one ECS minute (step interval, bake time) lasts.
	MinuteSeconds float64 `json:"minute_seconds,omitempty"`
	// StageSeconds is how long a lifecycle stage without a duration of its own lasts.
	StageSeconds float64 `json:"stage_seconds,omitempty"`
}

// Account is one twin account.
type Account struct {
	ID          string `json:"id"`
	Environment string `json:"environment"` // the environments/<name> it stands for
	Region      string `json:"region"`
	// Admin is the identity the sandbox bootstrapped in the account (inline "*" policy).
	Admin credentials.Credential `json:"admin"`
	// Registry is the host:port of the account's twin registry front, or "" when the account uses the
	// sandbox's plain registry (RegistryEndpoint says which).
	Registry string `json:"registry,omitempty"`
	// RegistryEndpoint is the proxyEndpoint GetAuthorizationToken reports (http://127.0.0.1:5002).
	RegistryEndpoint string `json:"registry_endpoint"`
}

// OIDC configures the GitHub-like issuer.
type OIDC struct {
	Listen  string `json:"listen"`   // 127.0.0.1:4568
	KeyFile string `json:"key_file"` // the issuer's signing key
}

// ReadConfig loads a configuration file.
func ReadConfig(path string) (Config, error) {
	var c Config
	data, err := os.ReadFile(path)
	if err != nil {
		return c, fmt.Errorf("read the AWS front configuration: %w (run `go run ./cmd/sandbox up`)", err)
	}
	if err := json.Unmarshal(data, &c); err != nil {
		return c, fmt.Errorf("AWS front configuration %s: %w", path, err)
	}
	return c, c.validate()
}

func (c Config) validate() error {
	var problems []string
	if c.Backend == "" {
		problems = append(problems, "backend (moto's URL) is missing")
	}
	if c.StateDir == "" {
		problems = append(problems, "state_dir is missing")
	}
	if len(c.Accounts) == 0 {
		problems = append(problems, "no accounts")
	}
	for _, a := range c.Accounts {
		if a.ID == "" || a.Admin.AccessKeyID == "" || a.Admin.SecretAccessKey == "" {
			problems = append(problems, fmt.Sprintf("account %q has no admin identity", a.ID))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("AWS front configuration: %s", strings.Join(problems, "; "))
	}
	return nil
}

// Account returns the configured account with id.
func (c Config) Account(id string) (Account, bool) {
	for _, a := range c.Accounts {
		if a.ID == id {
			return a, true
		}
	}
	return Account{}, false
}

// OperationHandler answers an operation instead of moto. The call is authenticated and counted and
// its faults applied; the handler authorizes (Front.Authorize) and answers.
type OperationHandler func(w http.ResponseWriter, r *http.Request, call *Call)

// Front is the AWS endpoint. Create it with New.
type Front struct {
	cfg      Config
	creds    *credentials.Registry
	backend  *backend
	policies *policyStore
	faults   *Faults
	counters *Counters
	tokens   *ecrtoken.Signer
	verifier *oidc.Verifier
	kms      *kmsKeys
	tasks    *ecsTasks
	ops      map[string]OperationHandler
	control  *http.ServeMux
	ecs      http.Handler
	logger   *log.Logger
	now      func() time.Time
}

// New builds the front from cfg: it opens the credential registry (seeding it with the admins), the
// ECR token key and the OIDC issuer's verification key.
func New(cfg Config) (*Front, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.StateDir, 0o700); err != nil {
		return nil, fmt.Errorf("create the front's state directory: %w", err)
	}
	creds, err := credentials.Open(filepath.Join(cfg.StateDir, "credentials.jsonl"))
	if err != nil {
		return nil, err
	}
	admins := map[string]aws.Credentials{}
	for _, a := range cfg.Accounts {
		admins[a.ID] = aws.Credentials{AccessKeyID: a.Admin.AccessKeyID, SecretAccessKey: a.Admin.SecretAccessKey}
		if _, ok := creds.Lookup(a.Admin.AccessKeyID); !ok {
			if err := creds.Add(a.Admin); err != nil {
				return nil, err
			}
		}
	}
	b, err := newBackend(cfg.Backend, admins)
	if err != nil {
		return nil, err
	}
	tokens, err := ecrtoken.LoadOrCreate(filepath.Join(cfg.StateDir, "ecr-token.key"))
	if err != nil {
		return nil, err
	}
	f := &Front{cfg: cfg, creds: creds, backend: b, policies: newPolicyStore(b, cfg.Region), faults: NewFaults(),
		counters: NewCounters(), tokens: tokens, ops: map[string]OperationHandler{},
		logger: log.New(os.Stderr, "aws-front: ", log.LstdFlags), now: time.Now,
		kms: newKMSKeys(filepath.Join(cfg.StateDir, "kms"))}
	if cfg.OIDC.KeyFile != "" {
		iss, err := oidc.LoadOrCreate(cfg.OIDC.KeyFile)
		if err != nil {
			return nil, err
		}
		f.verifier = iss.Verifier()
	}
	f.control = f.controlMux()
	f.registerBuiltins()
	if err := f.registerEKS(); err != nil {
		return nil, err
	}
	return f, nil
}

// SetLogger replaces the logger (tests silence it).
func (f *Front) SetLogger(l *log.Logger) { f.logger = l }

func (f *Front) logf(format string, args ...any) {
	if f.logger != nil {
		f.logger.Printf(format, args...)
	}
}

// SetClock replaces the clock (tests).
func (f *Front) SetClock(now func() time.Time) {
	f.now = now
	f.backend.now = now
}

// SetECS routes ECS calls through h (the rollout simulator), which must send its own calls to moto
// through Transport.
func (f *Front) SetECS(h http.Handler) { f.ecs = h }

// Transport is the round tripper that sends a request to moto re-signed as the admin of the account
// of the call its context carries (see WithCall).
func (f *Front) Transport() http.RoundTripper { return f.backend }

// HandleOperation answers service:operation with h instead of moto.
func (f *Front) HandleOperation(service, operation string, h OperationHandler) {
	f.ops[service+":"+operation] = h
}

// HandleControl serves h under the control path pattern (which must start with /_twin/).
func (f *Front) HandleControl(pattern string, h http.Handler) { f.control.Handle(pattern, h) }

// Credentials is the credential registry.
func (f *Front) Credentials() *credentials.Registry { return f.creds }

// Faults is the fault set (shared with the registry fronts).
func (f *Front) Faults() *Faults { return f.faults }

// Counters are the request counters.
func (f *Front) Counters() *Counters { return f.counters }

// Tokens signs and verifies ECR passwords.
func (f *Front) Tokens() *ecrtoken.Signer { return f.tokens }

// Config is the front's configuration.
func (f *Front) Config() Config { return f.cfg }

// AdminConfig is an SDK configuration calling moto directly as an account's admin.
func (f *Front) AdminConfig(account string) (aws.Config, error) {
	region := f.cfg.Region
	if a, ok := f.cfg.Account(account); ok && a.Region != "" {
		region = a.Region
	}
	return f.backend.adminConfig(account, region)
}

func (f *Front) accountIDs() []string {
	var ids []string
	for _, a := range f.cfg.Accounts {
		ids = append(ids, a.ID)
	}
	sort.Strings(ids)
	return ids
}

// maxBody bounds a request body read into memory.
const maxBody = 512 << 20

// unsignedOperations may be called without credentials, as in AWS.
var unsignedOperations = map[string]bool{"sts:AssumeRoleWithWebIdentity": true, "sts:AssumeRoleWithSAML": true}

// statusWriter remembers the status written.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	if fl, ok := w.ResponseWriter.(http.Flusher); ok {
		fl.Flush()
	}
}

// ServeHTTP implements http.Handler: the pipeline of every request.
func (f *Front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case isControlPath(r.URL.Path):
		f.control.ServeHTTP(w, r)
		return
	case strings.HasPrefix(r.URL.Path, "/moto-api"):
		writeJSON(w, http.StatusForbidden, map[string]string{"error": "moto's control API is not reachable through the AWS twin " +
			"(resetting moto would remove the accounts' identities); use `go run ./cmd/sandbox down` and `up`"})
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		http.Error(w, "read request: "+err.Error(), http.StatusBadRequest)
		return
	}
	r.Header.Del("X-Moto-Account-Id") // moto honours it over the credentials: never let a client pick an account
	call := identify(r, body, f.cfg.Region)
	sw := &statusWriter{ResponseWriter: w}
	refused := false
	defer func() {
		f.counters.Record(call.Account, call.Service, call.Operation, call.Mutating(), refused)
	}()

	if e := f.authenticate(r, call); e != nil {
		refused = true
		WriteError(sw, call, e)
		return
	}
	if fault := f.faults.Take(call.Service, call.Operation, call.Account); fault != nil {
		switch fault.Kind {
		case "delay":
			f.logf("fault %s: delaying %s:%s by %s", fault.ID, call.Service, call.Operation, fault.Delay)
			sleep(r.Context(), fault.Delay.Duration)
		case "throttle":
			refused = true
			WriteError(sw, call, throttleError())
			return
		default:
			refused = true
			WriteError(sw, call, serverError(fault.Status))
			return
		}
	}
	ctx := WithCall(r.Context(), call)
	r = r.WithContext(ctx)
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	if h, ok := f.ops[call.Service+":"+call.Operation]; ok {
		h(sw, r, call)
		return
	}
	if e := f.Authorize(ctx, call, accessFor(call, r)...); e != nil {
		refused = true
		WriteError(sw, call, e)
		return
	}
	if call.Service == "ecs" && f.ecs != nil {
		f.ecs.ServeHTTP(sw, r)
		return
	}
	currentVersionByDefault(call)
	f.forward(sw, r, call)
}

// authenticate verifies the call's signature and sets its caller and account.
func (f *Front) authenticate(r *http.Request, call *Call) *APIError {
	cred, _, err := sigv4.Verify(r, call.Body, f.creds, f.now())
	if err == nil {
		call.Caller, call.Account = cred, cred.Account
		if call.Region == "" {
			call.Region = f.cfg.Region
		}
		return nil
	}
	if errors.Is(err, sigv4.ErrUnsigned) && unsignedOperations[call.Service+":"+call.Operation] {
		return nil
	}
	e, _ := sigv4.AsError(err)
	if f.cfg.LenientAccount != "" && (e == nil || e.Code == "MissingAuthenticationToken" || e.Code == "InvalidClientTokenId") {
		if a, ok := f.cfg.Account(f.cfg.LenientAccount); ok {
			call.Caller, call.Account = a.Admin, a.ID
			return nil
		}
	}
	if e == nil {
		return &APIError{Status: http.StatusForbidden, Code: "IncompleteSignature", Message: err.Error()}
	}
	return &APIError{Status: e.Status, Code: e.Code, Message: e.Message}
}

// Authorize checks the caller's identity policies (and, for an ECR repository, its repository policy)
// for every access; the first refusal is returned as AWS's AccessDenied.
func (f *Front) Authorize(ctx context.Context, call *Call, accesses ...Access) *APIError {
	if call.Caller.Principal == "" {
		return accessDenied("the request has no authenticated caller")
	}
	var identity []iameval.NamedPolicy
	loaded := false
	for _, a := range accesses {
		if !loaded {
			var err error
			if identity, err = f.policies.identityPolicies(ctx, call.Caller.Principal); err != nil {
				return &APIError{Status: http.StatusInternalServerError, Code: "InternalFailure", Message: "the twin could not read the caller's policies: " + err.Error()}
			}
			loaded = true
		}
		req := iameval.Request{Principal: iameval.Principal{Kind: iameval.AWSPrincipal, ID: call.Caller.Principal, Account: call.Caller.Account},
			Action: a.Action, Resource: a.Resource, Context: f.requestContext(call, a)}
		in := iameval.Input{Request: req, Identity: identity, ResourceAccount: a.ResourceAccount, ResourcePolicy: a.ResourcePolicy}
		if a.Repository != "" {
			account := a.ResourceAccount
			if account == "" {
				account = call.Account
			}
			p, err := f.repositoryPolicy(ctx, account, a.Repository)
			if err != nil {
				return &APIError{Status: http.StatusInternalServerError, Code: "InternalFailure", Message: "the twin could not read the repository policy: " + err.Error()}
			}
			in.ResourcePolicy = p
		}
		if d := iameval.Authorize(in); !d.Allowed {
			f.logf("denied %s %s on %q: %s", call.Caller.Principal, a.Action, a.Resource, d.Reason)
			return accessDenied(d.Message(req))
		}
	}
	if a := accesses; len(a) > 0 && a[0].ResourceAccount != "" {
		call.Account = a[0].ResourceAccount // the call acts in the resource's account from here on
	}
	return nil
}

// requestContext is the condition keys of a request: the global keys AWS sets, plus the access's own.
func (f *Front) requestContext(call *Call, a Access) iameval.Context {
	ctx := iameval.Context{}
	p := call.Caller.Principal
	principalARN, typ := p, "User"
	if role := credentials.RoleARNOf(p); role != "" {
		principalARN, typ = role, "AssumedRole"
	} else if i := strings.LastIndex(p, ":user/"); i >= 0 {
		ctx.Set("aws:username", p[strings.LastIndex(p, "/")+1:])
	}
	now := f.now().UTC()
	ctx.Set("aws:PrincipalArn", principalARN)
	ctx.Set("aws:PrincipalAccount", call.Caller.Account)
	ctx.Set("aws:PrincipalType", typ)
	if call.Caller.UserID != "" {
		ctx.Set("aws:userid", call.Caller.UserID)
	}
	ctx.Set("aws:CurrentTime", now.Format(time.RFC3339))
	ctx.Set("aws:EpochTime", fmt.Sprint(now.Unix()))
	ctx.Set("aws:SecureTransport", "false")
	ctx.Set("aws:SourceIp", "127.0.0.1")
	ctx.Set("aws:RequestedRegion", call.Region)
	account := a.ResourceAccount
	if account == "" {
		account = call.Account
	}
	ctx.Set("aws:ResourceAccount", account)
	for k, v := range a.Context {
		ctx.Set(k, v...)
	}
	return ctx
}

// forward sends the call to moto and copies the answer.
func (f *Front) forward(w http.ResponseWriter, r *http.Request, call *Call) {
	resp, body, err := f.backend.do(r.Context(), call, r, call.Body)
	if err != nil {
		WriteError(w, call, &APIError{Status: http.StatusBadGateway, Code: "InternalFailure", Message: "the twin could not reach moto: " + err.Error()})
		return
	}
	if call.Service == "iam" && call.Mutating() && resp.StatusCode < 300 {
		f.policies.invalidate(call.Account)
	}
	copyResponse(w, resp, body)
}

// registerBuiltins installs the operations the front answers itself.
func (f *Front) registerBuiltins() {
	f.registerSTS()
	f.registerECR()
	f.registerKMS()
	f.registerIAM()
	f.registerECSTasks()
}
