package ekstwin

import (
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/platformteam/delivery/internal/sandbox/awsfront/credentials"
	"github.com/platformteam/delivery/internal/sandbox/awsfront/sigv4"
)

const (
	// TokenPrefix marks an EKS IAM token (the same constant pkg/eksauth signs with).
	TokenPrefix = "k8s-aws-v1."
	// ClusterIDHeader is the signed header binding a token to one cluster.
	ClusterIDHeader = "x-k8s-aws-id"
	// TokenMaxAge is how long after X-Amz-Date STS accepts a presigned GetCallerIdentity; it ignores
	// X-Amz-Expires, which the EKS authenticator only requires to be at most this.
	TokenMaxAge = 15 * time.Minute
	// clockSkew is how far in the future a signing time may lie.
	clockSkew = 5 * time.Minute
	// emptyPayloadSHA256 is the payload hash of a GET: the SHA-256 of nothing.
	emptyPayloadSHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)

// ErrInvalidToken marks a token that authenticates nobody (the API server answers 401).
var ErrInvalidToken = errors.New("invalid EKS token")

// TokenVerifier checks EKS tokens as STS and the EKS authenticator do together.
type TokenVerifier struct {
	// STSEndpoints are the base URLs (scheme://host:port) a token's presigned URL may target: the
	// twin's AWS endpoint stands for sts.amazonaws.com and sts.<region>.amazonaws.com.
	STSEndpoints []string
	Credentials  credentials.Lookup // the AWS front's credential registry
	Now          func() time.Time   // nil: time.Now
}

// Caller is the identity a valid token proves.
type Caller struct {
	Principal   Principal
	AccessKeyID string
	Account     string
}

// queryParameters are the parameters a token's URL may carry (the authenticator's allow list).
var queryParameters = []string{
	"action", "version", "x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-expires",
	"x-amz-security-token", "x-amz-signature", "x-amz-signedheaders",
}

// Verify checks token for cluster and returns the caller. Every refusal wraps ErrInvalidToken and
// says what was wrong.
func (v TokenVerifier) Verify(token, cluster string) (Caller, error) {
	invalid := func(format string, a ...any) (Caller, error) {
		return Caller{}, fmt.Errorf("%w: %s", ErrInvalidToken, fmt.Sprintf(format, a...))
	}
	encoded, ok := strings.CutPrefix(token, TokenPrefix)
	if !ok {
		return invalid("the bearer token does not start with %s", TokenPrefix)
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(encoded, "="))
	if err != nil {
		return invalid("the token is not base64url after %s: %v", TokenPrefix, err)
	}
	u, err := url.Parse(string(raw))
	if err != nil {
		return invalid("the token does not wrap a URL: %v", err)
	}
	base := strings.ToLower(u.Scheme + "://" + u.Host)
	if !slices.ContainsFunc(v.STSEndpoints, func(e string) bool { return strings.EqualFold(strings.TrimRight(e, "/"), base) }) {
		return invalid("the token's presigned URL targets %s, not this twin's STS endpoint %s", base, strings.Join(v.STSEndpoints, ", "))
	}
	if u.Path != "/" {
		return invalid("the token's presigned URL has path %q, want /", u.Path)
	}
	values := u.Query()
	for name := range values {
		if !slices.Contains(queryParameters, strings.ToLower(name)) {
			return invalid("the token's presigned URL has the parameter %s, which a GetCallerIdentity token never carries", name)
		}
	}
	if got := values.Get("Action"); got != "GetCallerIdentity" {
		return invalid("the token presigns the STS action %q, not GetCallerIdentity", got)
	}
	if got := values.Get("Version"); got != "2011-06-15" {
		return invalid("the token presigns STS API version %q, want 2011-06-15", got)
	}
	// The request the EKS authenticator makes to STS: the presigned GET plus the cluster header.
	req, err := http.NewRequest(http.MethodGet, u.String(), nil)
	if err != nil {
		return invalid("the token's URL cannot be requested: %v", err)
	}
	req.Header.Set(ClusterIDHeader, cluster)
	a, err := sigv4.Parse(req)
	if err != nil {
		return invalid("%v", err)
	}
	if !a.Presigned {
		return invalid("the token's URL is not presigned")
	}
	if a.Service != "sts" {
		return invalid("the token is signed for the service %q, not sts", a.Service)
	}
	if !slices.Contains(a.SignedHeaders, ClusterIDHeader) || !slices.Contains(a.SignedHeaders, "host") {
		return invalid("the token does not sign the host and %s headers (signed: %s)", ClusterIDHeader, strings.Join(a.SignedHeaders, ";"))
	}
	if a.Expires > TokenMaxAge {
		return invalid("X-Amz-Expires is %s; EKS accepts at most %s", a.Expires, TokenMaxAge)
	}
	// STS ignores X-Amz-Expires for GetCallerIdentity: a token is good for 15 minutes after X-Amz-Date.
	now := time.Now()
	if v.Now != nil {
		now = v.Now()
	}
	if now.After(a.Date.Add(TokenMaxAge)) {
		return invalid("the token expired: it was signed at %s, more than %s ago; get a new token", a.Date.Format(time.RFC3339), TokenMaxAge)
	}
	if a.Date.After(now.Add(clockSkew)) {
		return invalid("the token is signed at %s, in the future (clock skew?)", a.Date.Format(time.RFC3339))
	}
	cred, ok := v.Credentials.Lookup(a.AccessKeyID)
	if !ok {
		return invalid("the access key %s was never issued by this twin (STS: InvalidClientTokenId)", a.AccessKeyID)
	}
	if cred.SessionToken != a.SessionToken {
		return invalid("the session token sent with access key %s is not the one issued with it (STS: InvalidClientTokenId)", a.AccessKeyID)
	}
	if cred.Expired(now) {
		return invalid("the credentials of access key %s expired at %s (STS: ExpiredToken)", a.AccessKeyID, cred.Expires.Format(time.RFC3339))
	}
	want := sigv4.Signature(cred.SecretAccessKey, a, sigv4.CanonicalRequest(req, a, emptyPayloadSHA256))
	if subtle.ConstantTimeCompare([]byte(want), []byte(a.Signature)) != 1 {
		return invalid("the signature does not match (STS: SignatureDoesNotMatch): the token was made for another cluster than %s, or altered", cluster)
	}
	principal, err := ParsePrincipal(cred.Principal)
	if err != nil {
		return invalid("the caller of access key %s: %v", a.AccessKeyID, err)
	}
	return Caller{Principal: principal, AccessKeyID: a.AccessKeyID, Account: cred.Account}, nil
}
