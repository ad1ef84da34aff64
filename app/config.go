package main

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Config is everything the app reads from its environment. Nothing here is baked into the image:
// ECS sets it in the task definition (plain values or SSM/Secrets Manager valueFrom), EKS through
// the chart's env and the optional ExternalSecret.
type Config struct {
	// Addr is the listen address (PORT or LISTEN_ADDR; default :8080).
	Addr string
	// Platform and PlatformSource come from DetectPlatform.
	Platform       Platform
	PlatformSource string
	// AuthToken, when set, is required as "Authorization: Bearer <token>" on every endpoint
	// except the health endpoints (/healthz, /readyz). Read from APP_AUTH_TOKEN.
	AuthToken string
	// S3URL is an HTTP(S) URL answering HEAD for the app bucket (READY_S3_URL), e.g.
	// https://<bucket>.s3.<region>.amazonaws.com/. Any answer below 500 counts as reachable:
	// 403 from a private bucket still proves DNS, routing (VPC endpoint) and TLS work.
	S3URL string
	// DBAddr and RedisAddr are host:port targets checked with a TCP dial (READY_DB_ADDR, READY_REDIS_ADDR).
	DBAddr    string
	RedisAddr string
	// CheckTimeout bounds each readiness check (READY_CHECK_TIMEOUT, default 2s).
	CheckTimeout time.Duration
	// ShutdownTimeout bounds the drain of in-flight requests after SIGTERM (SHUTDOWN_TIMEOUT, default 20s).
	ShutdownTimeout time.Duration
	// DrainDelay keeps serving (with /readyz failing) before closing the listener, so load balancers
	// deregister the target first (SHUTDOWN_DRAIN_DELAY, default 0).
	DrainDelay time.Duration
	// LogLevel is debug, info, warn or error (LOG_LEVEL, default info).
	LogLevel string
}

// LoadConfig reads the configuration and reports every invalid value at once.
func LoadConfig(getenv func(string) string) (Config, error) {
	c := Config{
		Addr:            ":8080",
		AuthToken:       getenv("APP_AUTH_TOKEN"),
		S3URL:           strings.TrimSpace(getenv("READY_S3_URL")),
		DBAddr:          strings.TrimSpace(getenv("READY_DB_ADDR")),
		RedisAddr:       strings.TrimSpace(getenv("READY_REDIS_ADDR")),
		CheckTimeout:    2 * time.Second,
		ShutdownTimeout: 20 * time.Second,
		LogLevel:        "info",
	}
	c.Platform, c.PlatformSource = DetectPlatform(getenv)
	var problems []string
	if p := getenv("PORT"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || n > 65535 {
			problems = append(problems, fmt.Sprintf("PORT %q is not a port number", p))
		} else {
			c.Addr = ":" + strconv.Itoa(n)
		}
	}
	if a := getenv("LISTEN_ADDR"); a != "" {
		if _, _, err := net.SplitHostPort(a); err != nil {
			problems = append(problems, fmt.Sprintf("LISTEN_ADDR %q is not host:port", a))
		} else {
			c.Addr = a
		}
	}
	dur := func(key string, dst *time.Duration) {
		if v := getenv(key); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || d < 0 {
				problems = append(problems, fmt.Sprintf("%s %q is not a duration such as 2s", key, v))
				return
			}
			*dst = d
		}
	}
	dur("READY_CHECK_TIMEOUT", &c.CheckTimeout)
	dur("SHUTDOWN_TIMEOUT", &c.ShutdownTimeout)
	dur("SHUTDOWN_DRAIN_DELAY", &c.DrainDelay)
	if c.S3URL != "" {
		u, err := url.Parse(c.S3URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			problems = append(problems, fmt.Sprintf("READY_S3_URL %q must be an http(s) URL", c.S3URL))
		}
	}
	for key, v := range map[string]string{"READY_DB_ADDR": c.DBAddr, "READY_REDIS_ADDR": c.RedisAddr} {
		if v == "" {
			continue
		}
		if _, _, err := net.SplitHostPort(v); err != nil {
			problems = append(problems, fmt.Sprintf("%s %q must be host:port", key, v))
		}
	}
	if v := getenv("LOG_LEVEL"); v != "" {
		switch strings.ToLower(v) {
		case "debug", "info", "warn", "error":
			c.LogLevel = strings.ToLower(v)
		default:
			problems = append(problems, fmt.Sprintf("LOG_LEVEL %q must be debug, info, warn or error", v))
		}
	}
	if len(problems) > 0 {
		return c, fmt.Errorf("invalid configuration: %s", strings.Join(problems, "; "))
	}
	return c, nil
}
