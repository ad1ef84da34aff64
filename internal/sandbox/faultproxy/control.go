package faultproxy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"
)

// ControlPath is where the control API lives: GET ControlPath lists every proxy's state,
// PUT ControlPath+"<name>" with a Fault sets one, DELETE ControlPath+"<name>" recovers it.
const ControlPath = "/_twin/kube/faults/"

// Fault is the body of a PUT.
type Fault struct {
	Mode    Mode          `json:"mode"`
	Latency time.Duration `json:"latency,omitempty"`
}

// Control serves the control API over named proxies (one per cluster).
type Control struct {
	Proxies map[string]*Proxy
}

// ServeHTTP implements the control API.
func (c *Control) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, ControlPath)
	if r.URL.Path+"/" == ControlPath {
		name = ""
	}
	if name == "" {
		if r.Method != http.MethodGet {
			http.Error(w, "GET "+ControlPath+" lists the proxies; PUT or DELETE "+ControlPath+"<name>", http.StatusMethodNotAllowed)
			return
		}
		out := map[string]State{}
		for n, p := range c.Proxies {
			out[n] = p.State()
		}
		writeJSON(w, out)
		return
	}
	p, ok := c.Proxies[name]
	if !ok {
		http.Error(w, fmt.Sprintf("no fault proxy %q (have: %s)", name, strings.Join(c.names(), ", ")), http.StatusNotFound)
		return
	}
	switch r.Method {
	case http.MethodGet:
	case http.MethodPut:
		var f Fault
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&f); err != nil {
			http.Error(w, "body must be a Fault: "+err.Error(), http.StatusBadRequest)
			return
		}
		if err := p.Set(f.Mode, f.Latency); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
	case http.MethodDelete:
		_ = p.Set(Pass, 0)
	default:
		http.Error(w, "GET, PUT or DELETE", http.StatusMethodNotAllowed)
		return
	}
	writeJSON(w, p.State())
}

func (c *Control) names() []string {
	var out []string
	for n := range c.Proxies {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// Client drives the control API (for tests).
type Client struct {
	BaseURL string // e.g. http://127.0.0.1:4580
	HTTP    *http.Client
}

func (c Client) do(ctx context.Context, method, name string, body any) (State, error) {
	var payload io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return State{}, err
		}
		payload = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.BaseURL, "/")+ControlPath+name, payload)
	if err != nil {
		return State{}, err
	}
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return State{}, fmt.Errorf("fault control %s %s: %w (is the kube twin up? `sandbox status`)", method, name, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode != http.StatusOK {
		return State{}, fmt.Errorf("fault control %s %s: %s: %s", method, name, resp.Status, strings.TrimSpace(string(data)))
	}
	var s State
	if err := json.Unmarshal(data, &s); err != nil {
		return State{}, fmt.Errorf("fault control %s %s: answer is not a State: %w", method, name, err)
	}
	return s, nil
}

// Hang makes the named proxy stall all traffic.
func (c Client) Hang(ctx context.Context, name string) error {
	_, err := c.do(ctx, http.MethodPut, name, Fault{Mode: Hang})
	return err
}

// Delay makes the named proxy forward with latency added to every chunk.
func (c Client) Delay(ctx context.Context, name string, latency time.Duration) error {
	_, err := c.do(ctx, http.MethodPut, name, Fault{Mode: Pass, Latency: latency})
	return err
}

// Recover ends any fault of the named proxy.
func (c Client) Recover(ctx context.Context, name string) error {
	_, err := c.do(ctx, http.MethodDelete, name, nil)
	return err
}

// State reads the named proxy's state.
func (c Client) State(ctx context.Context, name string) (State, error) {
	return c.do(ctx, http.MethodGet, name, nil)
}
