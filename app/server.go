package main

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"time"
)

// Build information, stamped at link time:
//
//	go build -ldflags "-X main.version=1.4.2 -X main.commit=abc1234"
var (
	version = "dev"
	commit  = "unknown"
)

// Server holds the handlers' state.
type Server struct {
	cfg      Config
	checks   []Check
	log      *slog.Logger
	draining atomic.Bool
	started  time.Time
	hostname string
}

// NewServer builds a server for cfg with the given readiness checks.
func NewServer(cfg Config, checks []Check, log *slog.Logger) *Server {
	host, _ := os.Hostname()
	return &Server{cfg: cfg, checks: checks, log: log, started: time.Now(), hostname: host}
}

// StartDraining makes /readyz fail so load balancers stop sending new requests.
func (s *Server) StartDraining() { s.draining.Store(true) }

// Handler returns the routed, logged, authenticated handler.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.Handle("GET /version", s.requireToken(http.HandlerFunc(s.versionHandler)))
	mux.Handle("GET /{$}", s.requireToken(http.HandlerFunc(s.banner)))
	return s.logRequests(mux)
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if s.draining.Load() {
		writeJSON(w, http.StatusServiceUnavailable, ReadyReport{Status: "not_ready", Reason: "shutting down", Checks: []CheckResult{}})
		return
	}
	results := RunChecks(r.Context(), s.checks, s.cfg.CheckTimeout)
	rep := ReadyReport{Status: "ready", Checks: results}
	code := http.StatusOK
	for _, res := range results {
		if !res.OK {
			rep.Status = "not_ready"
			code = http.StatusServiceUnavailable
			s.log.Warn("readiness check failed", "check", res.Name, "target", res.Target, "error", res.Error)
		}
	}
	writeJSON(w, code, rep)
}

// VersionInfo is the /version body.
type VersionInfo struct {
	Version  string   `json:"version"`
	Commit   string   `json:"commit"`
	Platform Platform `json:"platform"`
}

func (s *Server) versionHandler(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, VersionInfo{Version: version, Commit: commit, Platform: s.cfg.Platform})
}

func (s *Server) banner(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "%s with:\n", s.cfg.Platform.Banner())
	fmt.Fprintf(w, "  version:  %s\n", version)
	fmt.Fprintf(w, "  commit:   %s\n", commit)
	fmt.Fprintf(w, "  host:     %s\n", s.hostname)
	fmt.Fprintf(w, "  detected: %s\n", s.cfg.PlatformSource)
	fmt.Fprintf(w, "  uptime:   %s\n", time.Since(s.started).Truncate(time.Second))
}

// requireToken enforces the optional bearer token. The comparison is constant-time.
func (s *Server) requireToken(next http.Handler) http.Handler {
	if s.cfg.AuthToken == "" {
		return next
	}
	want := []byte(s.cfg.AuthToken)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="demo-app"`)
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "missing or invalid bearer token"})
			return
		}
		next.ServeHTTP(w, r)
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// logRequests writes one JSON line per request (health probes at debug level to keep logs quiet).
// The Authorization header is never logged.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		level := slog.LevelInfo
		if r.URL.Path == "/healthz" || r.URL.Path == "/readyz" {
			level = slog.LevelDebug
		}
		s.log.Log(r.Context(), level, "request",
			"method", r.Method, "path", r.URL.Path, "status", rec.status,
			"duration_ms", time.Since(start).Milliseconds(), "remote", r.RemoteAddr)
	})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
