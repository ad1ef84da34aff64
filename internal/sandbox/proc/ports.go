package proc

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// PortListening reports whether something accepts TCP connections on host:port.
func PortListening(host string, port int) bool {
	conn, err := net.DialTimeout("tcp", net.JoinHostPort(host, strconv.Itoa(port)), 300*time.Millisecond)
	if err != nil {
		return false
	}
	conn.Close()
	return true
}

// PortTakenError says a port a process needs is held by a program the sandbox did not start.
type PortTakenError struct {
	Component string
	Port      int
	Owner     string // "pid 123 (registry)" when it can be found, else ""
}

func (e *PortTakenError) Error() string {
	owner := "another program"
	if e.Owner != "" {
		owner = e.Owner
	}
	return fmt.Sprintf("%s needs 127.0.0.1:%d but it is already in use by %s, which the sandbox did not start; "+
		"stop that program (the sandbox will not touch it) and run `go run ./cmd/sandbox up` again", e.Component, e.Port, owner)
}

// checkPortFree fails with a PortTakenError when port is in use on loopback.
func checkPortFree(component string, port int) error {
	if !PortListening(Host, port) && !portBound(port) {
		return nil
	}
	return &PortTakenError{Component: component, Port: port, Owner: describePortOwner(port)}
}

// portBound reports whether a TCP socket on the machine listens on port (any address), read from
// /proc/net/tcp{,6}; it catches listeners on other addresses that a loopback dial would miss.
func portBound(port int) bool {
	return len(listeningInodes(port)) > 0
}

func listeningInodes(port int) map[string]bool {
	inodes := map[string]bool{}
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		f, err := os.Open(table)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		sc.Scan() // header
		for sc.Scan() {
			if inode, ok := listeningInode(sc.Text(), port); ok {
				inodes[inode] = true
			}
		}
		f.Close()
	}
	return inodes
}

// listeningInode parses one /proc/net/tcp line and returns its socket inode when the socket is in
// LISTEN state (0A) on port.
func listeningInode(line string, port int) (string, bool) {
	fields := strings.Fields(line)
	if len(fields) < 10 || fields[3] != "0A" {
		return "", false
	}
	_, hexPort, ok := strings.Cut(fields[1], ":")
	if !ok {
		return "", false
	}
	p, err := strconv.ParseUint(hexPort, 16, 32)
	if err != nil || int(p) != port {
		return "", false
	}
	return fields[9], true
}

// describePortOwner names the process listening on port, if /proc lets us see it.
func describePortOwner(port int) string {
	inodes := listeningInodes(port)
	if len(inodes) == 0 {
		return ""
	}
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, proc := range procs {
		fds, _ := filepath.Glob(filepath.Join(proc, "fd", "*"))
		for _, fd := range fds {
			target, err := os.Readlink(fd)
			if err != nil || !strings.HasPrefix(target, "socket:[") {
				continue
			}
			if inodes[strings.TrimSuffix(strings.TrimPrefix(target, "socket:["), "]")] {
				name, _ := os.ReadFile(filepath.Join(proc, "comm"))
				return fmt.Sprintf("pid %s (%s)", filepath.Base(proc), strings.TrimSpace(string(name)))
			}
		}
	}
	return ""
}
