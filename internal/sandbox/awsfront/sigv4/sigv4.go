// Package sigv4 verifies AWS Signature Version 4 on incoming requests, both forms: the Authorization
// header and presigned URLs (query parameters, as in an EKS `k8s-aws-v1.` token or an S3 presigned
// URL). The twin needs it because moto can verify neither a presigned URL nor, for a request the front
// rewrites, the caller's own signature.
//
// The canonical request is built from what the request carries (its signed headers, raw path and
// query), following the SigV4 specification: path segments escaped again except for S3, query pairs
// encoded (RFC 3986) then sorted, header values trimmed with inner runs of spaces collapsed.
package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/platformteam/delivery/internal/sandbox/awsfront/credentials"
)

// Algorithm is the only signing algorithm accepted.
const Algorithm = "AWS4-HMAC-SHA256"

// TimeFormat is the X-Amz-Date layout.
const TimeFormat = "20060102T150405Z"

// MaxSkew is how far a header-signed request's date may be from the verifier's clock (AWS: 15 min).
const MaxSkew = 15 * time.Minute

// UnsignedPayload is the payload hash of a request whose body is not signed.
const UnsignedPayload = "UNSIGNED-PAYLOAD"

// Auth is the signature information a request carries.
type Auth struct {
	AccessKeyID   string
	Date          time.Time
	Region        string
	Service       string
	SignedHeaders []string
	Signature     string
	SessionToken  string
	Presigned     bool
	Expires       time.Duration // presigned only (X-Amz-Expires)
}

// Error is a refusal, with the error code AWS answers (for the JSON/query protocols; S3 uses its own
// codes, see S3Code) and the HTTP status.
type Error struct {
	Code    string
	Message string
	Status  int
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// S3Code is the code S3 answers for the same refusal.
func (e *Error) S3Code() string {
	switch e.Code {
	case "InvalidClientTokenId":
		return "InvalidAccessKeyId"
	case "MissingAuthenticationToken", "IncompleteSignature", "RequestExpired", "SignatureExpired":
		return "AccessDenied"
	}
	return e.Code
}

// ErrUnsigned is returned by Parse for a request that carries no SigV4 signature at all.
var ErrUnsigned = &Error{Code: "MissingAuthenticationToken", Message: "Request is missing Authentication Token", Status: http.StatusForbidden}

func incomplete(format string, args ...any) *Error {
	return &Error{Code: "IncompleteSignature", Message: fmt.Sprintf(format, args...), Status: http.StatusBadRequest}
}

// Parse reads the signature information from the Authorization header or the query.
func Parse(r *http.Request) (Auth, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		return parseHeader(r, h)
	}
	q := r.URL.Query()
	if q.Get("X-Amz-Signature") != "" || q.Get("X-Amz-Credential") != "" {
		return parseQuery(q)
	}
	return Auth{}, ErrUnsigned
}

func parseHeader(r *http.Request, h string) (Auth, error) {
	alg, rest, ok := strings.Cut(h, " ")
	if !ok || alg != Algorithm {
		return Auth{}, incomplete("Authorization header requires the %s algorithm", Algorithm)
	}
	fields := map[string]string{}
	for _, part := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if ok {
			fields[k] = v
		}
	}
	for _, k := range []string{"Credential", "SignedHeaders", "Signature"} {
		if fields[k] == "" {
			return Auth{}, incomplete("Authorization header requires '%s' parameter", k)
		}
	}
	a := Auth{SignedHeaders: strings.Split(fields["SignedHeaders"], ";"), Signature: fields["Signature"],
		SessionToken: r.Header.Get("X-Amz-Security-Token")}
	if err := a.setCredential(fields["Credential"]); err != nil {
		return Auth{}, err
	}
	date := r.Header.Get("X-Amz-Date")
	if date == "" {
		date = r.Header.Get("Date")
	}
	t, err := time.Parse(TimeFormat, date)
	if err != nil {
		return Auth{}, incomplete("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header")
	}
	a.Date = t
	return a, nil
}

func parseQuery(q url.Values) (Auth, error) {
	if alg := q.Get("X-Amz-Algorithm"); alg != Algorithm {
		return Auth{}, incomplete("X-Amz-Algorithm must be %s", Algorithm)
	}
	for _, k := range []string{"X-Amz-Credential", "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Signature"} {
		if q.Get(k) == "" {
			return Auth{}, incomplete("a presigned request requires the %s parameter", k)
		}
	}
	a := Auth{Presigned: true, SignedHeaders: strings.Split(q.Get("X-Amz-SignedHeaders"), ";"),
		Signature: q.Get("X-Amz-Signature"), SessionToken: q.Get("X-Amz-Security-Token")}
	if err := a.setCredential(q.Get("X-Amz-Credential")); err != nil {
		return Auth{}, err
	}
	t, err := time.Parse(TimeFormat, q.Get("X-Amz-Date"))
	if err != nil {
		return Auth{}, incomplete("X-Amz-Date %q is not in the %s format", q.Get("X-Amz-Date"), TimeFormat)
	}
	a.Date = t
	secs, err := strconv.Atoi(q.Get("X-Amz-Expires"))
	if q.Get("X-Amz-Expires") == "" {
		secs, err = 900, nil // STS and others default to 15 minutes
	}
	if err != nil || secs < 1 || secs > 604800 {
		return Auth{}, incomplete("X-Amz-Expires must be between 1 and 604800 seconds")
	}
	a.Expires = time.Duration(secs) * time.Second
	return a, nil
}

// setCredential parses AKID/yyyymmdd/region/service/aws4_request.
func (a *Auth) setCredential(v string) error {
	parts := strings.Split(v, "/")
	if len(parts) != 5 || parts[4] != "aws4_request" || parts[0] == "" {
		return incomplete("Credential %q is not of the form <access key>/<date>/<region>/<service>/aws4_request", v)
	}
	a.AccessKeyID, a.Region, a.Service = parts[0], parts[2], parts[3]
	return nil
}

// scopeDate is the credential scope's date.
func (a Auth) scope() string {
	return strings.Join([]string{a.Date.Format("20060102"), a.Region, a.Service, "aws4_request"}, "/")
}

// Verify checks r's signature against the secret the registry holds for its access key, its session
// token and its time window, and returns the caller's credential. body is the request body (already
// read). It never changes r.
func Verify(r *http.Request, body []byte, lookup credentials.Lookup, now time.Time) (credentials.Credential, Auth, error) {
	a, err := Parse(r)
	if err != nil {
		return credentials.Credential{}, a, err
	}
	cred, ok := lookup.Lookup(a.AccessKeyID)
	if !ok {
		return cred, a, &Error{Code: "InvalidClientTokenId", Message: "The security token included in the request is invalid.", Status: http.StatusForbidden}
	}
	if cred.SessionToken != "" && a.SessionToken != cred.SessionToken {
		return cred, a, &Error{Code: "InvalidClientTokenId", Message: "The security token included in the request is invalid.", Status: http.StatusForbidden}
	}
	if cred.SessionToken == "" && a.SessionToken != "" {
		return cred, a, &Error{Code: "InvalidClientTokenId", Message: "The security token included in the request is invalid.", Status: http.StatusForbidden}
	}
	if cred.Expired(now) {
		return cred, a, &Error{Code: "ExpiredToken", Message: "The security token included in the request is expired", Status: http.StatusForbidden}
	}
	if err := checkTime(a, now); err != nil {
		return cred, a, err
	}
	want := Signature(cred.SecretAccessKey, a, CanonicalRequest(r, a, payloadHash(r, a, body)))
	if !hmac.Equal([]byte(want), []byte(a.Signature)) {
		return cred, a, &Error{Code: "SignatureDoesNotMatch", Status: http.StatusForbidden,
			Message: "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."}
	}
	return cred, a, nil
}

func checkTime(a Auth, now time.Time) error {
	if a.Presigned {
		if a.Date.After(now.Add(MaxSkew)) {
			return &Error{Code: "SignatureExpired", Status: http.StatusForbidden,
				Message: fmt.Sprintf("Signature not yet current: %s is still later than %s", a.Date.Format(TimeFormat), now.Add(MaxSkew).UTC().Format(TimeFormat))}
		}
		if !now.Before(a.Date.Add(a.Expires)) {
			return &Error{Code: "RequestExpired", Status: http.StatusForbidden,
				Message: fmt.Sprintf("Request has expired: signed at %s for %s", a.Date.Format(TimeFormat), a.Expires)}
		}
		return nil
	}
	if d := now.Sub(a.Date); d > MaxSkew || d < -MaxSkew {
		return &Error{Code: "SignatureExpired", Status: http.StatusForbidden,
			Message: fmt.Sprintf("Signature expired: %s is now earlier than %s (%s - 15 min.)", a.Date.Format(TimeFormat), now.Add(-MaxSkew).UTC().Format(TimeFormat), now.UTC().Format(TimeFormat))}
	}
	return nil
}

// payloadHash is the hash the signer used: the x-amz-content-sha256 header when present (S3 always
// sends it), UNSIGNED-PAYLOAD for a presigned S3 URL, else the body's SHA-256.
func payloadHash(r *http.Request, a Auth, body []byte) string {
	if h := r.Header.Get("X-Amz-Content-Sha256"); h != "" {
		return h
	}
	if a.Presigned && a.Service == "s3" {
		if h := r.URL.Query().Get("X-Amz-Content-Sha256"); h != "" {
			return h
		}
		return UnsignedPayload
	}
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}

// CanonicalRequest is the SigV4 canonical request of r for the signed headers in a.
func CanonicalRequest(r *http.Request, a Auth, payloadHash string) string {
	path := r.URL.EscapedPath()
	if path == "" {
		path = "/"
	}
	if a.Service != "s3" {
		path = escapePath(path)
	}
	q := r.URL.Query()
	q.Del("X-Amz-Signature")
	headers := make([]string, 0, len(a.SignedHeaders))
	for _, name := range a.SignedHeaders {
		headers = append(headers, name+":"+canonicalHeaderValue(r, name))
	}
	return strings.Join([]string{
		r.Method,
		path,
		encodeQuery(q),
		strings.Join(headers, "\n") + "\n",
		strings.Join(a.SignedHeaders, ";"),
		payloadHash,
	}, "\n")
}

func canonicalHeaderValue(r *http.Request, name string) string {
	var values []string
	switch strings.ToLower(name) {
	case "host":
		values = []string{r.Host}
	case "content-length":
		values = r.Header.Values("Content-Length")
		if len(values) == 0 {
			values = []string{strconv.FormatInt(r.ContentLength, 10)}
		}
	default:
		values = r.Header.Values(name)
	}
	for i, v := range values {
		values[i] = collapseSpaces(strings.TrimSpace(v))
	}
	return strings.Join(values, ",")
}

func collapseSpaces(s string) string {
	for strings.Contains(s, "  ") {
		s = strings.ReplaceAll(s, "  ", " ")
	}
	return s
}

// Signature computes the hex signature of a canonical request.
func Signature(secret string, a Auth, canonical string) string {
	sum := sha256.Sum256([]byte(canonical))
	toSign := strings.Join([]string{Algorithm, a.Date.UTC().Format(TimeFormat), a.scope(), hex.EncodeToString(sum[:])}, "\n")
	key := hmacSHA256([]byte("AWS4"+secret), a.Date.UTC().Format("20060102"))
	key = hmacSHA256(key, a.Region)
	key = hmacSHA256(key, a.Service)
	key = hmacSHA256(key, "aws4_request")
	return hex.EncodeToString(hmacSHA256(key, toSign))
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// escapePath escapes every byte outside the RFC 3986 unreserved set except '/'.
func escapePath(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		if unreserved(c) || c == '/' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

func unreserved(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
}

func encodeComponent(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if unreserved(s[i]) {
			b.WriteByte(s[i])
		} else {
			fmt.Fprintf(&b, "%%%02X", s[i])
		}
	}
	return b.String()
}

// encodeQuery encodes each name and value, then sorts the pairs (the specification sorts after encoding).
func encodeQuery(q url.Values) string {
	pairs := make([]string, 0, len(q))
	for k, vs := range q {
		for _, v := range vs {
			pairs = append(pairs, encodeComponent(k)+"="+encodeComponent(v))
		}
	}
	sort.Slice(pairs, func(i, j int) bool {
		ki, vi, _ := strings.Cut(pairs[i], "=")
		kj, vj, _ := strings.Cut(pairs[j], "=")
		if ki != kj {
			return ki < kj
		}
		return vi < vj
	})
	return strings.Join(pairs, "&")
}

// AsError returns err as an *Error when it is one.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
