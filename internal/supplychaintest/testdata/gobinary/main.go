// A small program with one dependency: the SBOM tests build it and read its build information.
package main

import (
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
)

func main() {
	ref, err := name.ParseReference("127.0.0.1:5000/demo-app:v1")
	fmt.Println(ref, err)
}
