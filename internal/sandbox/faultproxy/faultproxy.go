// Package faultproxy is a TCP proxy that can stall on demand: the sandbox puts one in front of each
// twin cluster's Kubernetes API server (the address DescribeCluster reports), so reliability tests
// can make the Kubernetes API hang (connections are accepted, nothing is answered) and recover.
//
// A stall holds every byte in both directions, on new connections and on those already open (a
// client's kept-alive HTTP/2 connection hangs too, as it does when a network path or an API server
// freezes); recovering delivers what was held and carries on.
package faultproxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// Mode is what the proxy does with traffic.
type Mode string

// Modes.
const (
	Pass Mode = "pass" // forward everything
	Hang Mode = "hang" // accept connections, forward nothing until recovered
)

// State is a proxy's current fault.
type State struct {
	Mode Mode `json:"mode"`
	// Latency is added before each chunk forwarded in pass mode (0: none).
	Latency time.Duration `json:"latency,omitempty"`
	Since   time.Time     `json:"since"`
	// Connections is the number of open client connections.
	Connections int `json:"connections"`
}

// Proxy forwards TCP connections from a listener to a target address.
type Proxy struct {
	target string
	ln     net.Listener

	ctx  context.Context // ends when the proxy closes
	stop context.CancelFunc

	mu      sync.Mutex
	state   State
	resume  chan struct{} // closed when a hang ends
	conns   map[net.Conn]struct{}
	closing bool
}

// Listen starts a proxy on listen that forwards to target.
func Listen(listen, target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, fmt.Errorf("fault proxy for %s: listen on %s: %w", target, listen, err)
	}
	p := &Proxy{target: target, ln: ln, conns: map[net.Conn]struct{}{}, resume: make(chan struct{})}
	p.ctx, p.stop = context.WithCancel(context.Background())
	p.state = State{Mode: Pass, Since: time.Now().UTC()}
	close(p.resume)
	go p.serve()
	return p, nil
}

// Addr is the address the proxy accepts connections on.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Target is the address the proxy forwards to.
func (p *Proxy) Target() string { return p.target }

// State reports the current fault.
func (p *Proxy) State() State {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.state
	s.Connections = len(p.conns)
	return s
}

// Set changes the fault: Hang stalls all traffic, Pass (with an optional latency) recovers.
func (p *Proxy) Set(mode Mode, latency time.Duration) error {
	if mode != Pass && mode != Hang {
		return fmt.Errorf("fault mode %q: want %s or %s", mode, Pass, Hang)
	}
	if latency < 0 || latency > time.Minute {
		return fmt.Errorf("latency %s: want 0 to 1m", latency)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if mode != p.state.Mode {
		p.state.Since = time.Now().UTC()
		if mode == Hang {
			p.resume = make(chan struct{})
		} else {
			close(p.resume)
		}
	}
	p.state.Mode, p.state.Latency = mode, latency
	if mode == Hang {
		p.state.Latency = 0
	}
	return nil
}

// gate blocks while the proxy hangs, then applies the latency; it fails when ctx ends.
func (p *Proxy) gate(ctx context.Context) error {
	p.mu.Lock()
	resume, latency := p.resume, p.state.Latency
	p.mu.Unlock()
	select {
	case <-resume:
	case <-ctx.Done():
		return ctx.Err()
	}
	if latency > 0 {
		select {
		case <-time.After(latency):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// Close stops accepting, closes every connection and releases any hang.
func (p *Proxy) Close() error {
	p.stop()
	p.mu.Lock()
	p.closing = true
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	return p.ln.Close()
}

func (p *Proxy) track(c net.Conn, add bool) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if add {
		if p.closing {
			return false
		}
		p.conns[c] = struct{}{}
	} else {
		delete(p.conns, c)
	}
	return true
}

func (p *Proxy) serve() {
	for {
		client, err := p.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(50 * time.Millisecond)
			continue
		}
		if !p.track(client, true) {
			client.Close()
			continue
		}
		go p.handle(client)
	}
}

func (p *Proxy) handle(client net.Conn) {
	defer p.track(client, false)
	defer client.Close()
	ctx := p.ctx
	// A hanging API server still accepts: hold the connection before dialling the target at all.
	if err := p.gate(ctx); err != nil {
		return
	}
	upstream, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		return // the client sees the connection close, as when the target is down
	}
	if !p.track(upstream, true) {
		upstream.Close()
		return
	}
	defer p.track(upstream, false)
	defer upstream.Close()
	done := make(chan struct{}, 2)
	go func() { p.copy(ctx, upstream, client); done <- struct{}{} }()
	go func() { p.copy(ctx, client, upstream); done <- struct{}{} }()
	<-done
	<-done
}

// copy forwards src to dst chunk by chunk, passing each chunk through the gate. An orderly end of
// src half-closes dst; any failure closes both, which ends the other direction too.
func (p *Proxy) copy(ctx context.Context, dst, src net.Conn) {
	buf := make([]byte, 32*1024)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if p.gate(ctx) != nil {
				break
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				break
			}
		}
		if errors.Is(err, io.EOF) {
			if tcp, ok := dst.(*net.TCPConn); ok {
				_ = tcp.CloseWrite()
				return
			}
		}
		if err != nil {
			break
		}
	}
	src.Close()
	dst.Close()
}
