package ekstwin

import (
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
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
)

// ErrInvalidToken marks a token that authenticates nobody (the API server answers 401).
var ErrInvalidToken = errors.New("invalid EKS token")

// Credential is what the twin knows of an access key it saw moto issue.
type Credential struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string // empty for an IAM user's long-term key
	PrincipalARN    string // the caller ARN GetCallerIdentity reports (assumed-role ARN for sessions)
	Account         string
	Expires         time.Time // zero for long-term keys
}

// Credentials finds what the twin recorded for an access key (the AWS front's credential registry).
type Credentials interface {
	LookupAccessKey(accessKeyID string) (Credential, bool)
}

// TokenVerifier checks EKS tokens as STS and the EKS authenticator do together.
type TokenVerifier struct {
	// STSEndpoints are the base URLs (scheme://host:port) a token's presigned URL may target: the
	// twin's AWS endpoint stands for sts.amazonaws.com and sts.<region>.amazonaws.com.
	STSEndpoints []string
	Credentials  Credentials
	Now          func() time.Time // nil: time.Now
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
	q, err := parsePresignedQuery(values)
	if err != nil {
		return invalid("%v", err)
	}
	if q.Service != "sts" {
		return invalid("the token is signed for the service %q, not sts", q.Service)
	}
	if !slices.Contains(q.SignedHeaders, ClusterIDHeader) || !slices.Contains(q.SignedHeaders, "host") {
		return invalid("the token does not sign the host and %s headers (signed: %s)", ClusterIDHeader, strings.Join(q.SignedHeaders, ";"))
	}
	if q.Expires > int(TokenMaxAge/time.Second) {
		return invalid("X-Amz-Expires is %d s; EKS accepts at most %d", q.Expires, int(TokenMaxAge/time.Second))
	}
	now := time.Now()
	if v.Now != nil {
		now = v.Now()
	}
	if now.After(q.Date.Add(TokenMaxAge)) {
		return invalid("the token expired: it was signed at %s, more than %s ago; get a new token", q.Date.Format(time.RFC3339), TokenMaxAge)
	}
	if q.Date.After(now.Add(clockSkew)) {
		return invalid("the token is signed at %s, in the future (clock skew?)", q.Date.Format(time.RFC3339))
	}
	cred, ok := v.Credentials.LookupAccessKey(q.AccessKeyID)
	if !ok {
		return invalid("the access key %s was never issued by this twin (STS: InvalidClientTokenId)", q.AccessKeyID)
	}
	if cred.SessionToken != q.SecurityToken {
		return invalid("the session token sent with access key %s is not the one issued with it (STS: InvalidClientTokenId)", q.AccessKeyID)
	}
	if !cred.Expires.IsZero() && now.After(cred.Expires) {
		return invalid("the credentials of access key %s expired at %s (STS: ExpiredToken)", q.AccessKeyID, cred.Expires.Format(time.RFC3339))
	}
	want, err := presignedSignature(cred.SecretAccessKey, u, map[string]string{ClusterIDHeader: cluster}, q)
	if err != nil {
		return invalid("%v", err)
	}
	if subtle.ConstantTimeCompare([]byte(want), []byte(q.Signature)) != 1 {
		return invalid("the signature does not match (STS: SignatureDoesNotMatch): the token was made for another cluster than %s, or altered", cluster)
	}
	principal, err := ParsePrincipal(cred.PrincipalARN)
	if err != nil {
		return invalid("the caller of access key %s: %v", q.AccessKeyID, err)
	}
	return Caller{Principal: principal, AccessKeyID: q.AccessKeyID, Account: cred.Account}, nil
}
