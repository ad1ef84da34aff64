// Package control is the contract of the AWS twin's control endpoints (/_twin/... on the AWS front):
// faults on demand and request counters, as JSON types both the front and its clients import, and a
// small client for tests and scripts.
//
// Everything outside /_twin/ behaves like AWS; these endpoints exist only in the twin.
package control

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Paths of the control API.
const (
	PathHealth   = "/_twin/health"
	PathFaults   = "/_twin/faults"
	PathRequests = "/_twin/requests"
)

// FaultKind is what a fault does to a matching call.
type FaultKind string

// The fault kinds.
const (
	// Throttle answers the service's throttling error (ThrottlingException, Throttling, SlowDown...).
	Throttle FaultKind = "throttle"
	// ServerError answers a 5xx (Status, default 500) with the service's internal error code.
	ServerError FaultKind = "error"
	// Delay holds the call for Delay, then lets it through.
	Delay FaultKind = "delay"
)

// Fault makes matching calls fail or wait.
type Fault struct {
	ID string `json:"id,omitempty"` // set by the front
	// Service is the signing name (ecs, ecr, sts, s3, eks, kms, ...) or "registry" for the registry
	// fronts; Operation the API operation (UpdateService) or, for the registry, one of
	// GetManifest, PutManifest, GetBlob, PutBlob, Catalog; "*" or "" matches every operation.
	Service   string `json:"service"`
	Operation string `json:"operation,omitempty"`
	// Account limits the fault to calls in one account ("" = any).
	Account string    `json:"account,omitempty"`
	Kind    FaultKind `json:"kind"`
	// Status is the HTTP status of a ServerError (500 when 0).
	Status int `json:"status,omitempty"`
	// Delay is how long a Delay fault holds each call.
	Delay Duration `json:"delay,omitempty"`
	// Count is how many matching calls the fault affects (0 = every call until cleared).
	Count int `json:"count,omitempty"`
	// Remaining is how many calls it will still affect (reported by the front; -1 = unlimited).
	Remaining int `json:"remaining,omitempty"`
}

// Validate reports what is wrong with a fault a client asked for.
func (f Fault) Validate() error {
	var problems []string
	if f.Service == "" {
		problems = append(problems, "service is required (e.g. ecs, sts, registry)")
	}
	switch f.Kind {
	case Throttle:
	case ServerError:
		if f.Status != 0 && (f.Status < 500 || f.Status > 599) {
			problems = append(problems, fmt.Sprintf("status %d is not a 5xx", f.Status))
		}
	case Delay:
		if f.Delay.Duration <= 0 {
			problems = append(problems, "a delay fault needs a positive delay (e.g. \"3s\")")
		}
	default:
		problems = append(problems, fmt.Sprintf("kind %q is not one of throttle, error, delay", f.Kind))
	}
	if f.Count < 0 {
		problems = append(problems, "count cannot be negative")
	}
	if len(problems) > 0 {
		return fmt.Errorf("invalid fault: %s", strings.Join(problems, "; "))
	}
	return nil
}

// Matches reports whether the fault applies to a call.
func (f Fault) Matches(service, operation, account string) bool {
	return strings.EqualFold(f.Service, service) &&
		(f.Operation == "" || f.Operation == "*" || strings.EqualFold(f.Operation, operation)) &&
		(f.Account == "" || f.Account == account)
}

// Duration is a time.Duration written as a string ("1.5s") in JSON.
type Duration struct{ time.Duration }

// MarshalJSON implements json.Marshaler.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON implements json.Unmarshaler.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a duration is a string such as \"2s\": %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	d.Duration = v
	return nil
}

// RequestCount is how many calls of one operation one account made since the counters were reset.
type RequestCount struct {
	Account   string `json:"account"` // "" when the caller could not be authenticated
	Service   string `json:"service"`
	Operation string `json:"operation"`
	// Mutating is false for calls that only read (Describe*, List*, Get*, ...), obtain credentials
	// (sts:*, ecr:GetAuthorizationToken) or sign (kms:Sign, kms:Verify).
	Mutating bool `json:"mutating"`
	Count    int  `json:"count"`
	// Refused counts the calls answered with an error by the twin itself (auth, faults).
	Refused int `json:"refused"`
}

// Requests is the answer of GET /_twin/requests.
type Requests struct {
	Since  time.Time      `json:"since"`
	Counts []RequestCount `json:"counts"`
}

// Mutating sums the mutating calls, optionally of one account ("" = all) and service ("" = all).
func (r Requests) Mutating(account, service string) int {
	n := 0
	for _, c := range r.Counts {
		if c.Mutating && (account == "" || c.Account == account) && (service == "" || c.Service == service) {
			n += c.Count
		}
	}
	return n
}

// Of is the count of one operation in one account ("" = all accounts).
func (r Requests) Of(account, service, operation string) int {
	n := 0
	for _, c := range r.Counts {
		if (account == "" || c.Account == account) && c.Service == service && c.Operation == operation {
			n += c.Count
		}
	}
	return n
}

// Client talks to the control API of a front at Endpoint (http://127.0.0.1:4566).
type Client struct {
	Endpoint string
	HTTP     *http.Client
}

// NewClient returns a client for the front at endpoint.
func NewClient(endpoint string) *Client {
	return &Client{Endpoint: strings.TrimSuffix(endpoint, "/"), HTTP: &http.Client{Timeout: 30 * time.Second}}
}

// AddFault installs a fault and returns it with its ID.
func (c *Client) AddFault(ctx context.Context, f Fault) (Fault, error) {
	var out Fault
	return out, c.do(ctx, http.MethodPost, PathFaults, f, &out)
}

// Faults lists the installed faults.
func (c *Client) Faults(ctx context.Context) ([]Fault, error) {
	var out []Fault
	return out, c.do(ctx, http.MethodGet, PathFaults, nil, &out)
}

// ClearFaults removes every fault.
func (c *Client) ClearFaults(ctx context.Context) error {
	return c.do(ctx, http.MethodDelete, PathFaults, nil, nil)
}

// RemoveFault removes one fault.
func (c *Client) RemoveFault(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, PathFaults+"/"+id, nil, nil)
}

// Requests reads the request counters.
func (c *Client) Requests(ctx context.Context) (Requests, error) {
	var out Requests
	return out, c.do(ctx, http.MethodGet, PathRequests, nil, &out)
}

// ResetRequests sets every counter back to zero.
func (c *Client) ResetRequests(ctx context.Context) error {
	return c.do(ctx, http.MethodDelete, PathRequests, nil, nil)
}

func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.Endpoint+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("twin control %s %s: %w (is the sandbox up? `go run ./cmd/sandbox up`)", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("twin control %s %s: %s: %s", method, path, resp.Status, strings.TrimSpace(string(data)))
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("twin control %s %s: decode answer: %w", method, path, err)
		}
	}
	return nil
}
