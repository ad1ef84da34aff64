// Command etcd is the sandbox's etcd server, built from the pinned etcd module
// so it needs nothing but the Go module proxy.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
