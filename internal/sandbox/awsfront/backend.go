package awsfront

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// backend is moto. Every call the front lets through is re-signed as the admin identity of the account
// it acts in: moto then lands it in that account, and moto's own coarse IAM check (identity policies
// against resource "*") passes, since the front has already authorized the caller properly.
type backend struct {
	url    *url.URL
	client *http.Client
	admins map[string]aws.Credentials // by account
	signer *v4.Signer
	now    func() time.Time
}

func newBackend(rawURL string, admins map[string]aws.Credentials) (*backend, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("moto backend %q is not a URL such as http://127.0.0.1:4567", rawURL)
	}
	return &backend{url: u, client: &http.Client{Timeout: 2 * time.Minute}, admins: admins,
		signer: v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = false }), now: time.Now}, nil
}

// signedAuthParams are the query parameters of a presigned request, dropped when re-signing.
var signedAuthParams = []string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires",
	"X-Amz-SignedHeaders", "X-Amz-Signature", "X-Amz-Security-Token"}

// hopHeaders are not forwarded.
var hopHeaders = []string{"Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization", "Te", "Trailer",
	"Transfer-Encoding", "Upgrade", "Expect"}

// callContextKey carries the *Call of a request through handlers to the signing transport.
type callContextKey struct{}

// WithCall returns ctx carrying call.
func WithCall(ctx context.Context, call *Call) context.Context {
	return context.WithValue(ctx, callContextKey{}, call)
}

// CallFrom returns the call a context carries (nil when none).
func CallFrom(ctx context.Context) *Call {
	c, _ := ctx.Value(callContextKey{}).(*Call)
	return c
}

// RoundTrip implements http.RoundTripper: it sends req to moto, re-signed as the admin of the
// account of the call in req's context. The ECS rollout simulator uses it for its own calls too.
func (b *backend) RoundTrip(req *http.Request) (*http.Response, error) {
	call := CallFrom(req.Context())
	if call == nil {
		return nil, fmt.Errorf("twin backend: request %s %s carries no call (a front bug)", req.Method, req.URL.Path)
	}
	var body []byte
	if req.Body != nil {
		var err error
		body, err = io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
	}
	out, err := b.prepare(req.Context(), call, req.Method, req.URL, req.Host, req.Header, body)
	if err != nil {
		return nil, err
	}
	return http.DefaultTransport.RoundTrip(out)
}

// prepare builds the signed moto request.
func (b *backend) prepare(ctx context.Context, call *Call, method string, in *url.URL, host string, header http.Header, body []byte) (*http.Request, error) {
	creds, ok := b.admins[call.Account]
	if !ok {
		return nil, fmt.Errorf("twin backend: no admin identity for account %q (run `go run ./cmd/sandbox up` to bootstrap it)", call.Account)
	}
	u := *b.url
	u.Path, u.RawPath = in.Path, in.RawPath
	q := in.Query()
	for _, p := range signedAuthParams {
		q.Del(p)
	}
	u.RawQuery = q.Encode()
	if len(q) == 0 {
		u.RawQuery = ""
	}
	out, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	out.Header = header.Clone()
	for _, h := range append([]string{"Authorization", "X-Amz-Date", "X-Amz-Security-Token", "X-Moto-Account-Id", "Content-Length"}, hopHeaders...) {
		out.Header.Del(h)
	}
	out.Host = host // the Host the client addressed: moto signs and parses URLs with it
	payload := out.Header.Get("X-Amz-Content-Sha256")
	if payload == "" {
		if call.Service == "s3" {
			payload = "UNSIGNED-PAYLOAD"
			out.Header.Set("X-Amz-Content-Sha256", payload)
		} else {
			sum := sha256.Sum256(body)
			payload = hex.EncodeToString(sum[:])
		}
	}
	region := call.Region
	if region == "" {
		region = "us-east-1"
	}
	service := call.Service
	if service == "" {
		service = "sts"
	}
	if err := b.signer.SignHTTP(ctx, creds, out, payload, service, region, b.now().UTC(),
		func(o *v4.SignerOptions) { o.DisableURIPathEscaping = service == "s3" }); err != nil {
		return nil, fmt.Errorf("sign the moto request: %w", err)
	}
	return out, nil
}

// do sends a call (method, path and query of r) to moto and returns the answer read whole.
func (b *backend) do(ctx context.Context, call *Call, r *http.Request, body []byte) (*http.Response, []byte, error) {
	out, err := b.prepare(ctx, call, r.Method, r.URL, r.Host, r.Header, body)
	if err != nil {
		return nil, nil, err
	}
	resp, err := b.client.Do(out)
	if err != nil {
		return nil, nil, fmt.Errorf("moto: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return resp, data, err
}

// adminConfig is an SDK configuration that calls moto directly as an account's admin (the front's own
// reads: policies, roles, repositories, keys).
func (b *backend) adminConfig(account, region string) (aws.Config, error) {
	creds, ok := b.admins[account]
	if !ok {
		return aws.Config{}, fmt.Errorf("no admin identity for account %q (run `go run ./cmd/sandbox up` to bootstrap it)", account)
	}
	return aws.Config{
		Region:           region,
		Credentials:      credentials.NewStaticCredentialsProvider(creds.AccessKeyID, creds.SecretAccessKey, ""),
		BaseEndpoint:     aws.String(b.url.String()),
		HTTPClient:       &http.Client{Timeout: 30 * time.Second},
		RetryMaxAttempts: 2,
	}, nil
}

// copyResponse writes a moto answer to w.
func copyResponse(w http.ResponseWriter, resp *http.Response, body []byte) {
	for k, vs := range resp.Header {
		if strings.EqualFold(k, "Content-Length") || isHop(k) {
			continue
		}
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(body)
}

func isHop(h string) bool {
	for _, x := range hopHeaders {
		if strings.EqualFold(x, h) {
			return true
		}
	}
	return false
}

// adminJSON makes a JSON-protocol call to moto as an account's admin (the front's own reads for
// services whose SDK the module does not carry). A moto error comes back as *APIError.
func (f *Front) adminJSON(ctx context.Context, account, service, target string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	region := f.cfg.Region
	if a, ok := f.cfg.Account(account); ok && a.Region != "" {
		region = a.Region
	}
	call := &Call{Service: service, Protocol: ProtocolJSON, Region: region, Account: account}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "/", nil)
	req.Host = hostOf(f.cfg.Listen)
	req.Header.Set("X-Amz-Target", target)
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	resp, data, err := f.backend.do(ctx, call, req, body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
		}
		_ = json.Unmarshal(data, &e)
		code := e.Type[strings.LastIndex(e.Type, "#")+1:]
		if code == "" {
			code = "InternalFailure"
		}
		return &APIError{Status: resp.StatusCode, Code: code, Message: e.Message}
	}
	return json.Unmarshal(data, out)
}
