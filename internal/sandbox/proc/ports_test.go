package proc

import (
	"errors"
	"net"
	"strings"
	"testing"
)

func TestListeningInodeParsesProcNetTCP(t *testing.T) {
	// Port 0x1388 = 5000, state 0A = LISTEN, inode 424242.
	listen := "   3: 0100007F:1388 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 424242 1 0000000000000000 100 0 0 10 0"
	if inode, ok := listeningInode(listen, 5000); !ok || inode != "424242" {
		t.Errorf("listeningInode = %q, %v; want 424242, true", inode, ok)
	}
	if _, ok := listeningInode(listen, 5001); ok {
		t.Error("matched another port")
	}
	established := strings.Replace(listen, " 0A ", " 01 ", 1)
	if _, ok := listeningInode(established, 5000); ok {
		t.Error("matched an established connection")
	}
}

func TestCheckPortFreeReportsForeignListener(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port

	err = checkPortFree("registry", port)
	var taken *PortTakenError
	if !errors.As(err, &taken) {
		t.Fatalf("checkPortFree on a taken port = %v, want PortTakenError", err)
	}
	if taken.Port != port || !strings.Contains(err.Error(), "registry") || !strings.Contains(err.Error(), "did not start") {
		t.Errorf("error does not name the component and port: %v", err)
	}
	// This process owns the listener, so /proc lets us name it.
	if !strings.Contains(taken.Owner, "pid ") {
		t.Errorf("owner = %q, want the listening pid", taken.Owner)
	}

	ln.Close()
	if err := checkPortFree("registry", port); err != nil {
		t.Errorf("port is free again but checkPortFree = %v", err)
	}
}
