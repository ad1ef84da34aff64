package awsfront

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/platformteam/delivery/internal/sandbox/awsfront/credentials"
	"github.com/platformteam/delivery/internal/sandbox/iameval"
	"github.com/platformteam/delivery/internal/sandbox/oidc"
)

// PathCodeBuildCredentials is the container credentials endpoint standing in for CodeBuild's: a build
// container sets AWS_CONTAINER_CREDENTIALS_FULL_URI to
// http://127.0.0.1:4566/_twin/codebuild/credentials?role=<role ARN>&project=<project ARN>
// and gets the role's credentials if its trust policy lets codebuild.amazonaws.com assume it for that
// project (aws:SourceArn, aws:SourceAccount), as CodeBuild's service role assumption does.
const PathCodeBuildCredentials = "/_twin/codebuild/credentials"

const stsNamespace = "https://sts.amazonaws.com/doc/2011-06-15/"

func (f *Front) registerSTS() {
	f.HandleOperation("sts", "GetCallerIdentity", f.getCallerIdentity)
	f.HandleOperation("sts", "AssumeRole", f.assumeRole)
	f.HandleOperation("sts", "AssumeRoleWithWebIdentity", f.assumeRoleWithWebIdentity)
	f.HandleControl("GET "+PathCodeBuildCredentials, http.HandlerFunc(f.codeBuildCredentials))
}

// getCallerIdentity answers from the credential registry (moto would name its admin).
func (f *Front) getCallerIdentity(w http.ResponseWriter, _ *http.Request, call *Call) {
	c := call.Caller
	writeXML(w, fmt.Sprintf(`<GetCallerIdentityResponse xmlns="%s"><GetCallerIdentityResult><Arn>%s</Arn><UserId>%s</UserId><Account>%s</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></GetCallerIdentityResponse>`,
		stsNamespace, xmlEscape(c.Principal), xmlEscape(c.UserID), c.Account, requestID()))
}

func writeXML(w http.ResponseWriter, body string) {
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("X-Amzn-RequestId", requestID())
	_, _ = w.Write([]byte(body))
}

// role is what the front needs of a role to let someone assume it.
type role struct {
	arn, name, account string
	trust              *iameval.Policy
	maxSession         time.Duration
}

// roleByARN reads a role from moto as its account's admin; ok is false when it does not exist.
func (f *Front) roleByARN(ctx context.Context, arn string) (role, bool, error) {
	account := arnAccount(arn)
	res := arnResource(arn)
	if !strings.HasPrefix(arn, "arn:aws:iam::") || !strings.HasPrefix(res, "role/") {
		return role{}, false, nil
	}
	if _, ok := f.cfg.Account(account); !ok {
		return role{}, false, nil
	}
	cfg, err := f.AdminConfig(account)
	if err != nil {
		return role{}, false, err
	}
	name := res[strings.LastIndex(res, "/")+1:]
	out, err := iam.NewFromConfig(cfg).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
	var missing *iamtypes.NoSuchEntityException
	if errors.As(err, &missing) {
		return role{}, false, nil
	}
	if err != nil {
		return role{}, false, fmt.Errorf("read role %s: %w", arn, err)
	}
	np, err := named("trust policy of "+arn, aws.ToString(out.Role.AssumeRolePolicyDocument))
	if err != nil {
		return role{}, false, err
	}
	maxSession := time.Hour
	if out.Role.MaxSessionDuration != nil && *out.Role.MaxSessionDuration > 0 {
		maxSession = time.Duration(*out.Role.MaxSessionDuration) * time.Second
	}
	return role{arn: aws.ToString(out.Role.Arn), name: name, account: account, trust: np.Policy, maxSession: maxSession}, true, nil
}

// sessionDuration checks DurationSeconds against AWS's bounds.
func sessionDuration(form url.Values, r role, chained bool) (time.Duration, *APIError) {
	d := time.Hour
	if s := form.Get("DurationSeconds"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 900 {
			return 0, &APIError{Status: http.StatusBadRequest, Code: "ValidationError", Message: "1 validation error detected: Value at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900"}
		}
		d = time.Duration(n) * time.Second
	}
	limit := r.maxSession
	if chained {
		limit = time.Hour // role chaining caps sessions at one hour
	}
	if d > limit {
		return 0, &APIError{Status: http.StatusBadRequest, Code: "ValidationError", Message: "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."}
	}
	return d, nil
}

// issued is a session moto issued.
type issued struct {
	cred      credentials.Credential
	roleID    string // AROA...:session
	expiresAt time.Time
}

// issueSession obtains the role's credentials from moto with a request signed as the role account's
// admin. moto's AssumeRoleWithWebIdentity is used for every kind of assumption because it checks no
// trust policy (the front has decided already) while moto's AssumeRole would apply its own partial one.
func (f *Front) issueSession(ctx context.Context, r role, session string, d time.Duration, source string) (issued, *APIError) {
	form := url.Values{"Action": {"AssumeRoleWithWebIdentity"}, "Version": {"2011-06-15"}, "RoleArn": {r.arn},
		"RoleSessionName": {session}, "WebIdentityToken": {"evaluated-by-the-sandbox-twin"},
		"DurationSeconds": {strconv.Itoa(int(d / time.Second))}}
	body := []byte(form.Encode())
	call := &Call{Service: "sts", Operation: "AssumeRoleWithWebIdentity", Protocol: ProtocolQuery, Region: f.cfg.Region, Account: r.account}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "/", nil)
	req.Host = hostOf(f.cfg.Listen)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	resp, data, err := f.backend.do(ctx, call, req, body)
	if err != nil {
		return issued{}, &APIError{Status: http.StatusBadGateway, Code: "InternalFailure", Message: err.Error()}
	}
	if resp.StatusCode != http.StatusOK {
		return issued{}, &APIError{Status: http.StatusBadGateway, Code: "InternalFailure", Message: fmt.Sprintf("moto refused to issue the session: HTTP %d: %s", resp.StatusCode, data)}
	}
	var out struct {
		Result struct {
			AssumedRoleUser struct {
				Arn           string `xml:"Arn"`
				AssumedRoleID string `xml:"AssumedRoleId"`
			} `xml:"AssumedRoleUser"`
			Credentials struct {
				AccessKeyID     string `xml:"AccessKeyId"`
				SecretAccessKey string `xml:"SecretAccessKey"`
				SessionToken    string `xml:"SessionToken"`
				Expiration      string `xml:"Expiration"`
			} `xml:"Credentials"`
		} `xml:"AssumeRoleWithWebIdentityResult"`
	}
	if err := xml.Unmarshal(data, &out); err != nil || out.Result.Credentials.AccessKeyID == "" {
		return issued{}, &APIError{Status: http.StatusBadGateway, Code: "InternalFailure", Message: fmt.Sprintf("moto's session answer is not understood: %v: %s", err, data)}
	}
	exp := f.now().Add(d).UTC().Truncate(time.Second)
	principal := fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/%s", r.account, r.name, session)
	roleID := out.Result.AssumedRoleUser.AssumedRoleID
	if roleID == "" {
		roleID = "AROA" + strings.ToUpper(r.account) + ":" + session
	}
	c := credentials.Credential{AccessKeyID: out.Result.Credentials.AccessKeyID, SecretAccessKey: out.Result.Credentials.SecretAccessKey,
		SessionToken: out.Result.Credentials.SessionToken, Principal: principal, UserID: roleID, Account: r.account, Expires: exp, Source: source}
	if err := f.creds.Add(c); err != nil {
		return issued{}, &APIError{Status: http.StatusInternalServerError, Code: "InternalFailure", Message: err.Error()}
	}
	return issued{cred: c, roleID: roleID, expiresAt: exp}, nil
}

func hostOf(listen string) string {
	if listen == "" {
		return "127.0.0.1:4566"
	}
	return listen
}

func credentialsXML(s issued) string {
	return fmt.Sprintf(`<AssumedRoleUser><Arn>%s</Arn><AssumedRoleId>%s</AssumedRoleId></AssumedRoleUser><Credentials><AccessKeyId>%s</AccessKeyId><SecretAccessKey>%s</SecretAccessKey><SessionToken>%s</SessionToken><Expiration>%s</Expiration></Credentials>`,
		xmlEscape(s.cred.Principal), xmlEscape(s.roleID), s.cred.AccessKeyID, xmlEscape(s.cred.SecretAccessKey), xmlEscape(s.cred.SessionToken), s.expiresAt.Format(time.RFC3339))
}

func validSessionName(s string) bool {
	if len(s) < 2 || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("=,.@-_", c)) {
			return false
		}
	}
	return true
}

// assumeRole: the caller's identity policies and the role's trust policy, as AWS evaluates them.
func (f *Front) assumeRole(w http.ResponseWriter, r *http.Request, call *Call) {
	roleARN, session := call.Form.Get("RoleArn"), call.Form.Get("RoleSessionName")
	if !validSessionName(session) {
		WriteError(w, call, &APIError{Status: http.StatusBadRequest, Code: "ValidationError", Message: "1 validation error detected: Value at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*"})
		return
	}
	req := iameval.Request{Principal: iameval.Principal{Kind: iameval.AWSPrincipal, ID: call.Caller.Principal, Account: call.Caller.Account},
		Action: "sts:AssumeRole", Resource: roleARN}
	req.Context = f.requestContext(call, Access{Context: map[string][]string{"sts:RoleSessionName": {session}}})
	if ext := call.Form.Get("ExternalId"); ext != "" {
		req.Context.Set("sts:ExternalId", ext)
	}
	denied := &APIError{Status: http.StatusForbidden, Code: "AccessDenied",
		Message: fmt.Sprintf("User: %s is not authorized to perform: sts:AssumeRole on resource: %s", call.Caller.Principal, roleARN)}
	rl, ok, err := f.roleByARN(r.Context(), roleARN)
	if err != nil {
		WriteError(w, call, &APIError{Status: http.StatusInternalServerError, Code: "InternalFailure", Message: err.Error()})
		return
	}
	if !ok {
		WriteError(w, call, denied)
		return
	}
	identity, err := f.policies.identityPolicies(r.Context(), call.Caller.Principal)
	if err != nil {
		WriteError(w, call, &APIError{Status: http.StatusInternalServerError, Code: "InternalFailure", Message: err.Error()})
		return
	}
	if d := iameval.AssumeRole(req, rl.trust, identity, rl.account); !d.Allowed {
		f.logf("AssumeRole refused: %s → %s %s", call.Caller.Principal, roleARN, d.Reason)
		WriteError(w, call, denied)
		return
	}
	d, e := sessionDuration(call.Form, rl, credentials.RoleARNOf(call.Caller.Principal) != "")
	if e != nil {
		WriteError(w, call, e)
		return
	}
	s, e := f.issueSession(r.Context(), rl, session, d, "AssumeRole")
	if e != nil {
		WriteError(w, call, e)
		return
	}
	writeXML(w, fmt.Sprintf(`<AssumeRoleResponse xmlns="%s"><AssumeRoleResult>%s</AssumeRoleResult><ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></AssumeRoleResponse>`,
		stsNamespace, credentialsXML(s), requestID()))
}

// assumeRoleWithWebIdentity: the JWT (signature via the issuer's keys, iss, exp), the account's OIDC
// provider (its client IDs hold the audience), then the role's trust policy with the Federated
// principal and the <issuer host>:aud / :sub keys. Refusals are AWS's own answers.
func (f *Front) assumeRoleWithWebIdentity(w http.ResponseWriter, r *http.Request, call *Call) {
	roleARN, session, token := call.Form.Get("RoleArn"), call.Form.Get("RoleSessionName"), call.Form.Get("WebIdentityToken")
	call.Account = arnAccount(roleARN)
	if !validSessionName(session) {
		WriteError(w, call, &APIError{Status: http.StatusBadRequest, Code: "ValidationError", Message: "1 validation error detected: Value at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*"})
		return
	}
	denied := &APIError{Status: http.StatusForbidden, Code: "AccessDenied", Message: "Not authorized to perform sts:AssumeRoleWithWebIdentity"}
	if f.verifier == nil {
		WriteError(w, call, &APIError{Status: http.StatusBadRequest, Code: "InvalidIdentityToken", Message: "the twin has no OIDC issuer configured"})
		return
	}
	// The token is checked before anything of the account, as STS does.
	claims, err := f.verifier.Verify(token, []string{oidc.STSAudience, unverifiedAudience(token)}, f.now())
	if err != nil {
		var ve *oidc.VerifyError
		if errors.As(err, &ve) {
			WriteError(w, call, &APIError{Status: http.StatusBadRequest, Code: ve.Code, Message: ve.Message})
			return
		}
		WriteError(w, call, &APIError{Status: http.StatusBadRequest, Code: "InvalidIdentityToken", Message: err.Error()})
		return
	}
	host := strings.TrimPrefix(claims.Issuer, "https://")
	providerARN := fmt.Sprintf("arn:aws:iam::%s:oidc-provider/%s", call.Account, host)
	clientIDs, found, err := f.oidcProvider(r.Context(), call.Account, providerARN)
	switch {
	case err != nil:
		WriteError(w, call, &APIError{Status: http.StatusInternalServerError, Code: "InternalFailure", Message: err.Error()})
		return
	case !found:
		WriteError(w, call, &APIError{Status: http.StatusBadRequest, Code: "InvalidIdentityToken", Message: "No OpenIDConnect provider found in your account for " + claims.Issuer})
		return
	case !contains(clientIDs, claims.Audience):
		WriteError(w, call, &APIError{Status: http.StatusBadRequest, Code: "InvalidIdentityToken", Message: "Incorrect token audience"})
		return
	}
	rl, ok, err := f.roleByARN(r.Context(), roleARN)
	if err != nil {
		WriteError(w, call, &APIError{Status: http.StatusInternalServerError, Code: "InternalFailure", Message: err.Error()})
		return
	}
	if !ok {
		WriteError(w, call, denied)
		return
	}
	ctx := iameval.Context{}
	ctx.Set(host+":aud", claims.Audience)
	ctx.Set(host+":sub", claims.Subject)
	ctx.Set(host+":iss", claims.Issuer)
	ctx.Set("aws:FederatedProvider", providerARN)
	ctx.Set("aws:CurrentTime", f.now().UTC().Format(time.RFC3339))
	req := iameval.Request{Principal: iameval.Principal{Kind: iameval.FederatedPrincipal, ID: providerARN, Account: call.Account},
		Action: "sts:AssumeRoleWithWebIdentity", Resource: rl.arn, Context: ctx}
	if d := iameval.AssumeRole(req, rl.trust, nil, rl.account); !d.Allowed {
		f.logf("AssumeRoleWithWebIdentity refused: sub %q aud %q → %s", claims.Subject, claims.Audience, roleARN)
		WriteError(w, call, denied)
		return
	}
	d, e := sessionDuration(call.Form, rl, false)
	if e != nil {
		WriteError(w, call, e)
		return
	}
	s, e := f.issueSession(r.Context(), rl, session, d, "AssumeRoleWithWebIdentity")
	if e != nil {
		WriteError(w, call, e)
		return
	}
	call.Caller = s.cred
	writeXML(w, fmt.Sprintf(`<AssumeRoleWithWebIdentityResponse xmlns="%s"><AssumeRoleWithWebIdentityResult><SubjectFromWebIdentityToken>%s</SubjectFromWebIdentityToken><Audience>%s</Audience>%s<Provider>%s</Provider></AssumeRoleWithWebIdentityResult><ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></AssumeRoleWithWebIdentityResponse>`,
		stsNamespace, xmlEscape(claims.Subject), xmlEscape(claims.Audience), credentialsXML(s), xmlEscape(claims.Issuer), requestID()))
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// oidcProvider reads an OIDC provider's client IDs from moto.
func (f *Front) oidcProvider(ctx context.Context, account, arn string) ([]string, bool, error) {
	cfg, err := f.AdminConfig(account)
	if err != nil {
		return nil, false, err
	}
	out, err := iam.NewFromConfig(cfg).GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn)})
	var missing *iamtypes.NoSuchEntityException
	if errors.As(err, &missing) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read OIDC provider %s: %w", arn, err)
	}
	return out.ClientIDList, true, nil
}

// codeBuildCredentials serves a CodeBuild build's container credentials.
func (f *Front) codeBuildCredentials(w http.ResponseWriter, r *http.Request) {
	roleARN, project := r.URL.Query().Get("role"), r.URL.Query().Get("project")
	fail := func(status int, code, msg string) {
		writeJSON(w, status, map[string]string{"code": code, "message": msg})
	}
	if roleARN == "" || project == "" || arnAccount(project) == "" {
		fail(http.StatusBadRequest, "InvalidRequest", "both role=<role ARN> and project=<CodeBuild project ARN> are required")
		return
	}
	rl, ok, err := f.roleByARN(r.Context(), roleARN)
	if err != nil {
		fail(http.StatusInternalServerError, "InternalFailure", err.Error())
		return
	}
	denied := fmt.Sprintf("CodeBuild is not authorized to perform: sts:AssumeRole on resource: %s (project %s)", roleARN, project)
	if !ok {
		fail(http.StatusForbidden, "AccessDenied", denied)
		return
	}
	ctx := iameval.Context{}
	ctx.Set("aws:SourceArn", project)
	ctx.Set("aws:SourceAccount", arnAccount(project))
	req := iameval.Request{Principal: iameval.Principal{Kind: iameval.ServicePrincipal, ID: "codebuild.amazonaws.com"},
		Action: "sts:AssumeRole", Resource: rl.arn, Context: ctx}
	if d := iameval.AssumeRole(req, rl.trust, nil, rl.account); !d.Allowed {
		f.logf("CodeBuild credentials refused: %s for %s", roleARN, project)
		fail(http.StatusForbidden, "AccessDenied", denied)
		return
	}
	s, e := f.issueSession(r.Context(), rl, "AWSCodeBuild-"+lastSegment(project), time.Hour, "CodeBuild")
	if e != nil {
		fail(e.Status, e.Code, e.Message)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"AccessKeyId": s.cred.AccessKeyID, "SecretAccessKey": s.cred.SecretAccessKey,
		"Token": s.cred.SessionToken, "Expiration": s.expiresAt.Format(time.RFC3339), "RoleArn": rl.arn})
}

func lastSegment(arn string) string {
	s := arn[strings.LastIndex(arn, "/")+1:]
	if len(s) > 40 {
		s = s[:40]
	}
	return s
}
