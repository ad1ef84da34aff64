package ekstwin

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// SigV4 query-string authentication (a presigned request), as AWS documents it for services other
// than S3: the canonical request carries every query parameter but the signature, the signed headers,
// and the SHA-256 of the empty payload of a GET.

const (
	sigV4Algorithm  = "AWS4-HMAC-SHA256"
	amzDateLayout   = "20060102T150405Z"
	emptyPayloadSHA = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)

// presignedQuery is the authentication part of a presigned URL's query.
type presignedQuery struct {
	AccessKeyID   string
	ScopeDate     string // yyyymmdd of the credential scope
	Region        string
	Service       string
	SignedHeaders []string // lower case, as listed (sorted)
	Signature     string
	Date          time.Time // X-Amz-Date
	Expires       int       // X-Amz-Expires in seconds; -1 when absent
	SecurityToken string
}

func (q presignedQuery) scope() string {
	return q.ScopeDate + "/" + q.Region + "/" + q.Service + "/aws4_request"
}

// parsePresignedQuery reads the X-Amz-* parameters of a presigned request.
func parsePresignedQuery(values url.Values) (presignedQuery, error) {
	get := func(name string) (string, error) {
		v := values[name]
		if len(v) != 1 || v[0] == "" {
			return "", fmt.Errorf("the presigned URL has no single %s parameter", name)
		}
		return v[0], nil
	}
	var q presignedQuery
	algorithm, err := get("X-Amz-Algorithm")
	if err != nil {
		return q, err
	}
	if algorithm != sigV4Algorithm {
		return q, fmt.Errorf("X-Amz-Algorithm is %q, want %s", algorithm, sigV4Algorithm)
	}
	credential, err := get("X-Amz-Credential")
	if err != nil {
		return q, err
	}
	fields := strings.Split(credential, "/")
	if len(fields) != 5 || fields[4] != "aws4_request" || fields[0] == "" {
		return q, fmt.Errorf("X-Amz-Credential %q is not <access key>/<date>/<region>/<service>/aws4_request", credential)
	}
	q.AccessKeyID, q.ScopeDate, q.Region, q.Service = fields[0], fields[1], fields[2], fields[3]
	signed, err := get("X-Amz-SignedHeaders")
	if err != nil {
		return q, err
	}
	q.SignedHeaders = strings.Split(signed, ";")
	if q.Signature, err = get("X-Amz-Signature"); err != nil {
		return q, err
	}
	date, err := get("X-Amz-Date")
	if err != nil {
		return q, err
	}
	if q.Date, err = time.Parse(amzDateLayout, date); err != nil {
		return q, fmt.Errorf("X-Amz-Date %q is not yyyymmddThhmmssZ", date)
	}
	if q.Date.Format("20060102") != q.ScopeDate {
		return q, fmt.Errorf("X-Amz-Date %s is not on the credential scope's date %s", date, q.ScopeDate)
	}
	q.Expires = -1
	if v, ok := values["X-Amz-Expires"]; ok {
		if len(v) != 1 {
			return q, fmt.Errorf("the presigned URL has %d X-Amz-Expires parameters", len(v))
		}
		if q.Expires, err = strconv.Atoi(v[0]); err != nil || q.Expires < 0 {
			return q, fmt.Errorf("X-Amz-Expires %q is not a number of seconds", v[0])
		}
	}
	if v := values["X-Amz-Security-Token"]; len(v) > 0 {
		q.SecurityToken = v[0]
	}
	return q, nil
}

// presignedSignature computes the signature of a presigned GET of u with the given header values
// (lower-case names; "host" is taken from u) and the secret of the signing key.
func presignedSignature(secret string, u *url.URL, headers map[string]string, q presignedQuery) (string, error) {
	var canonicalHeaders strings.Builder
	for _, name := range q.SignedHeaders {
		value, ok := headers[name]
		if name == "host" {
			value, ok = u.Host, true
		}
		if !ok {
			return "", fmt.Errorf("signed header %s was not sent with the request", name)
		}
		canonicalHeaders.WriteString(name + ":" + strings.Join(strings.Fields(value), " ") + "\n")
	}
	canonicalRequest := strings.Join([]string{
		"GET",
		canonicalPath(u),
		canonicalQuery(u.Query()),
		canonicalHeaders.String(),
		strings.Join(q.SignedHeaders, ";"),
		emptyPayloadSHA,
	}, "\n")
	digest := sha256.Sum256([]byte(canonicalRequest))
	stringToSign := strings.Join([]string{sigV4Algorithm, q.Date.Format(amzDateLayout), q.scope(), hex.EncodeToString(digest[:])}, "\n")
	key := hmacSHA256([]byte("AWS4"+secret), q.ScopeDate)
	for _, part := range []string{q.Region, q.Service, "aws4_request"} {
		key = hmacSHA256(key, part)
	}
	return hex.EncodeToString(hmacSHA256(key, stringToSign)), nil
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// canonicalPath URI-encodes each segment of the (already escaped) path again, as SigV4 does for
// every service but S3.
func canonicalPath(u *url.URL) string {
	p := u.EscapedPath()
	if p == "" {
		return "/"
	}
	segments := strings.Split(p, "/")
	for i, s := range segments {
		segments[i] = uriEncode(s)
	}
	return strings.Join(segments, "/")
}

// canonicalQuery is every parameter but the signature, URI-encoded, sorted by name then value.
func canonicalQuery(values url.Values) string {
	var pairs []string
	for name, vs := range values {
		if name == "X-Amz-Signature" {
			continue
		}
		for _, v := range vs {
			pairs = append(pairs, uriEncode(name)+"="+uriEncode(v))
		}
	}
	sort.Strings(pairs)
	return strings.Join(pairs, "&")
}

// uriEncode percent-encodes every byte but the RFC 3986 unreserved characters.
func uriEncode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}
