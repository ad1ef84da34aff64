package sandbox

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
)

// httpProbe GETs url and succeeds when the status is want and the body contains bodyContains.
func httpProbe(ctx context.Context, client *http.Client, url string, header http.Header, want int, bodyContains string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != want {
		return fmt.Errorf("GET %s: status %d, want %d: %s", url, resp.StatusCode, want, strings.TrimSpace(lastLines(string(body), 3)))
	}
	if bodyContains != "" && !strings.Contains(string(body), bodyContains) {
		return fmt.Errorf("GET %s: answer %q does not contain %q", url, strings.TrimSpace(string(body)), bodyContains)
	}
	return nil
}

var plainHTTP = &http.Client{}

// tlsClient trusts only the sandbox CA in caFile.
func tlsClient(caFile string) (*http.Client, error) {
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("read cluster CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("cluster CA %s holds no certificate", caFile)
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}, nil
}

// insecureLoopbackClient reaches the controller manager's and scheduler's self-signed health
// endpoints on 127.0.0.1; it is only used for those loopback health checks.
var insecureLoopbackClient = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} //nolint:gosec // loopback health probe of a self-signed component endpoint
