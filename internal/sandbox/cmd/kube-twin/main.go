// Command kube-twin runs, for the sandbox's Kubernetes clusters, the fault proxies DescribeCluster
// points at and the kubelet stand-in (see internal/sandbox/kubetwin).
//
//	kube-twin --config <state>/kube/kube-twin.json
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/platformteam/delivery/internal/sandbox/kubetwin"
)

func main() {
	config := flag.String("config", "", "the JSON config `sandbox up` writes")
	flag.Parse()
	cfg, err := kubetwin.ReadConfig(*config)
	if err != nil {
		fmt.Fprintln(os.Stderr, "kube-twin:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := kubetwin.Run(ctx, cfg, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "kube-twin:", err)
		os.Exit(1)
	}
}
