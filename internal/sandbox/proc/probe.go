package proc

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// HTTPCheck is a readiness check: GET url (with header) must answer status want with a body that
// contains bodyContains (anything when empty).
func HTTPCheck(client *http.Client, url string, header http.Header, want int, bodyContains string) func(context.Context) error {
	return func(ctx context.Context) error {
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
			return fmt.Errorf("GET %s: status %d, want %d: %s", url, resp.StatusCode, want, strings.TrimSpace(LastLines(string(body), 3)))
		}
		if bodyContains != "" && !strings.Contains(string(body), bodyContains) {
			return fmt.Errorf("GET %s: answer %q does not contain %q", url, strings.TrimSpace(string(body)), bodyContains)
		}
		return nil
	}
}
