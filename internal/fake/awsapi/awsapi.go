// Package awsapi is an in-process stand-in for the AWS calls the release engine makes around the
// services it deploys to: STS (GetCallerIdentity, AssumeRole, AssumeRoleWithWebIdentity), ECR
// GetAuthorizationToken and EKS DescribeCluster, plus a container-credentials endpoint (CodeBuild, ECS).
// It issues credentials, remembers whom it issued them to, and records which access key signed every
// request, so a test can prove that each way of authenticating reaches every call. Everything else is
// handed to Next (for example an ECS fake). It checks no signature: the sandbox's twin accounts do.
package awsapi

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Identity is who a set of credentials is.
type Identity struct {
	Account string
	ARN     string
}

// Call is one request the front saw: the action, the access key that signed it ("" unsigned) and the
// region of the signature's scope.
type Call struct {
	Action    string
	AccessKey string
	Region    string
}

// Front answers STS, ECR GetAuthorizationToken and EKS DescribeCluster; the rest goes to Next.
type Front struct {
	// Users are the long-lived keys it knows (access key id → identity).
	Users map[string]Identity
	// WebIdentityToken is the one token AssumeRoleWithWebIdentity accepts ("" accepts none).
	WebIdentityToken string
	// RegistryHost is the proxy endpoint host GetAuthorizationToken returns (plain HTTP).
	RegistryHost string
	// ClusterEndpoint is what DescribeCluster returns as the cluster's endpoint.
	ClusterEndpoint string
	Next            http.Handler

	mu         sync.Mutex
	parameters map[string]string // SSM parameters (the deploy lock)
	issued     map[string]Identity
	calls      []Call
	seq        int
}

// Calls is every request seen so far.
func (f *Front) Calls() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Call(nil), f.calls...)
}

// Identity is who an access key is: a user, or a role session the front issued.
func (f *Front) Identity(key string) (Identity, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if id, ok := f.issued[key]; ok {
		return id, true
	}
	id, ok := f.Users[key]
	return id, ok
}

// RegistryPassword is the registry password of the ECR token issued to an access key.
func RegistryPassword(key string) string { return "ecr-token-for-" + key }

var credentialRE = regexp.MustCompile(`Credential=([^/]+)/[0-9]+/([^/]+)/`)

// signer is the access key and the region of a request's SigV4 credential scope.
func signer(r *http.Request) (key, region string) {
	if m := credentialRE.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		return m[1], m[2]
	}
	return "", ""
}

func (f *Front) record(action, key, region string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, Call{Action: action, AccessKey: key, Region: region})
}

// issue makes credentials for a role session.
func (f *Front) issue(roleARN, session string) (key, secret, token string, id Identity) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	if f.issued == nil {
		f.issued = map[string]Identity{}
	}
	account := ""
	if parts := strings.Split(roleARN, ":"); len(parts) > 4 {
		account = parts[4]
	}
	role := roleARN[strings.LastIndex(roleARN, "/")+1:]
	key = fmt.Sprintf("ASIAFAKE%08d", f.seq)
	id = Identity{Account: account, ARN: fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/%s", account, role, session)}
	f.issued[key] = id
	return key, "secret-" + key, "token-" + key, id
}

func (f *Front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key, region := signer(r)
	target := r.Header.Get("X-Amz-Target")
	switch {
	case r.Method == http.MethodPost && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded"):
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		f.sts(w, r, key, region)
	case strings.HasSuffix(target, ".GetAuthorizationToken"):
		f.record("ecr:GetAuthorizationToken", key, region)
		token := base64.StdEncoding.EncodeToString([]byte("AWS:" + RegistryPassword(key)))
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		json.NewEncoder(w).Encode(map[string]any{"authorizationData": []map[string]any{{
			"authorizationToken": token, "expiresAt": float64(time.Now().Add(12 * time.Hour).Unix()), "proxyEndpoint": "http://" + f.RegistryHost}}})
	case strings.HasPrefix(target, "AmazonSSM."):
		f.ssm(w, r, strings.TrimPrefix(target, "AmazonSSM."), key, region)
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/clusters/"):
		name := strings.TrimPrefix(r.URL.Path, "/clusters/")
		f.record("eks:DescribeCluster", key, region)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"cluster": map[string]any{"name": name, "status": "ACTIVE",
			"endpoint": f.ClusterEndpoint, "certificateAuthority": map[string]any{"data": ""}}})
	default:
		action := target
		if i := strings.LastIndex(target, "."); i >= 0 {
			action = "ecs:" + target[i+1:]
		}
		f.record(action, key, region)
		if f.Next == nil {
			http.Error(w, "no fake for "+target, http.StatusNotImplemented)
			return
		}
		f.Next.ServeHTTP(w, r)
	}
}

// ssm keeps String parameters as SSM does for Put (without overwrite: ParameterAlreadyExists),
// Get and Delete (ParameterNotFound), which is what the deploy lock uses.
func (f *Front) ssm(w http.ResponseWriter, r *http.Request, action, key, region string) {
	f.record("ssm:"+action, key, region)
	var in struct {
		Name      string
		Value     string
		Overwrite bool
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		ssmError(w, "ValidationException", err.Error())
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.parameters == nil {
		f.parameters = map[string]string{}
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	value, exists := f.parameters[in.Name]
	switch action {
	case "PutParameter":
		if exists && !in.Overwrite {
			ssmError(w, "ParameterAlreadyExists", "The parameter already exists.")
			return
		}
		f.parameters[in.Name] = in.Value
		json.NewEncoder(w).Encode(map[string]any{"Version": 1, "Tier": "Standard"})
	case "GetParameter":
		if !exists {
			ssmError(w, "ParameterNotFound", "")
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"Parameter": map[string]any{"Name": in.Name, "Value": value, "Type": "String", "Version": 1}})
	case "DeleteParameter":
		if !exists {
			ssmError(w, "ParameterNotFound", "")
			return
		}
		delete(f.parameters, in.Name)
		json.NewEncoder(w).Encode(map[string]any{})
	default:
		ssmError(w, "InvalidAction", "the fake SSM does not model "+action)
	}
}

// Parameter is an SSM parameter's value ("" and false when absent).
func (f *Front) Parameter(name string) (string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.parameters[name]
	return v, ok
}

func ssmError(w http.ResponseWriter, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(http.StatusBadRequest)
	json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
}

func (f *Front) sts(w http.ResponseWriter, r *http.Request, key, region string) {
	action := r.PostForm.Get("Action")
	f.record("sts:"+action, key, region)
	switch action {
	case "GetCallerIdentity":
		id, ok := f.Identity(key)
		if !ok {
			stsError(w, http.StatusForbidden, "InvalidClientTokenId", "The security token included in the request is invalid.")
			return
		}
		WriteCallerIdentity(w, id.Account, id.ARN)
	case "AssumeRole":
		if _, ok := f.Identity(key); !ok {
			stsError(w, http.StatusForbidden, "InvalidClientTokenId", "The security token included in the request is invalid.")
			return
		}
		writeCredentials(w, "AssumeRole", f, r.PostForm.Get("RoleArn"), r.PostForm.Get("RoleSessionName"))
	case "AssumeRoleWithWebIdentity":
		if f.WebIdentityToken == "" || r.PostForm.Get("WebIdentityToken") != f.WebIdentityToken {
			stsError(w, http.StatusForbidden, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity")
			return
		}
		writeCredentials(w, "AssumeRoleWithWebIdentity", f, r.PostForm.Get("RoleArn"), r.PostForm.Get("RoleSessionName"))
	default:
		stsError(w, http.StatusBadRequest, "InvalidAction", "no fake for "+action)
	}
}

func writeCredentials(w http.ResponseWriter, action string, f *Front, roleARN, session string) {
	key, secret, token, id := f.issue(roleARN, session)
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprintf(w, `<%[1]sResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><%[1]sResult><Credentials>`+
		`<AccessKeyId>%[2]s</AccessKeyId><SecretAccessKey>%[3]s</SecretAccessKey><SessionToken>%[4]s</SessionToken>`+
		`<Expiration>%[5]s</Expiration></Credentials><AssumedRoleUser><Arn>%[6]s</Arn><AssumedRoleId>AROAFAKE:%[7]s</AssumedRoleId></AssumedRoleUser>`+
		`</%[1]sResult><ResponseMetadata><RequestId>fake</RequestId></ResponseMetadata></%[1]sResponse>`,
		action, key, secret, token, time.Now().Add(time.Hour).UTC().Format(time.RFC3339), id.ARN, session)
}

// WriteCallerIdentity writes STS's GetCallerIdentity response.
func WriteCallerIdentity(w http.ResponseWriter, account, arn string) {
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprintf(w, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>`+
		`<Arn>%s</Arn><UserId>AIDAFAKE</UserId><Account>%s</Account></GetCallerIdentityResult>`+
		`<ResponseMetadata><RequestId>fake</RequestId></ResponseMetadata></GetCallerIdentityResponse>`, arn, account)
}

func stsError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>fake</RequestId></ErrorResponse>`, code, msg)
}

// ContainerCredentials is the endpoint CodeBuild and ECS give a container (AWS_CONTAINER_CREDENTIALS_
// FULL_URI + AWS_CONTAINER_AUTHORIZATION_TOKEN): it hands out a role session's credentials when the
// authorization token matches.
func (f *Front) ContainerCredentials(roleARN, authorization string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != authorization {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		f.record("container-credentials", "", "")
		key, secret, token, _ := f.issue(roleARN, "codebuild")
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{"AccessKeyId": key, "SecretAccessKey": secret, "Token": token,
			"Expiration": time.Now().Add(time.Hour).UTC().Format(time.RFC3339), "RoleArn": roleARN})
	})
}

// BasicAuthRegistry puts registry in front of HTTP basic auth as ECR does: every request must carry
// user AWS and the password of a token the front issued. It records the access key each token was
// issued to.
func (f *Front) BasicAuthRegistry(registry http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, ok := r.BasicAuth()
		key, issued := strings.CutPrefix(pass, "ecr-token-for-")
		if !ok || user != "AWS" || !issued {
			w.Header().Set("WWW-Authenticate", `Basic realm="fake-ecr"`)
			http.Error(w, "authentication required", http.StatusUnauthorized)
			return
		}
		f.record("registry:"+r.Method, key, "")
		registry.ServeHTTP(w, r)
	})
}
