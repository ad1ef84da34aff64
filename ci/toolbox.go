package main

import (
	"os"
	"strconv"
	"time"

	"dagger/delivery/internal/dagger"

	"github.com/platformteam/delivery/pkg/environment"
)

// daggerVersion is the pinned Dagger release (dagger.json engineVersion; checked by internal/versionpin).
const daggerVersion = "v0.19.10"

// goBuilder is the Go toolchain container with module and build caches.
func goBuilder(env *environment.Environment) *dagger.Container {
	ctr := dag.Container().From(env.Images.Go).
		WithMountedCache("/go/pkg/mod", dag.CacheVolume("delivery-go-mod")).
		WithMountedCache("/root/.cache/go-build", dag.CacheVolume("delivery-go-build")).
		WithEnvVariable("GOMODCACHE", "/go/pkg/mod").
		WithEnvVariable("GOCACHE", "/root/.cache/go-build").
		WithEnvVariable("CGO_ENABLED", "0").
		WithEnvVariable("GOFLAGS", "-buildvcs=false")
	// The module runtime inherits the engine's GOPROXY setting; builds in our containers use the same.
	if p := os.Getenv("GOPROXY"); p != "" {
		ctr = ctr.WithEnvVariable("GOPROXY", p)
	}
	return ctr
}

// Project CLIs the toolbox can hold (cmd/<name>).
const (
	stacksCLI  = "stacks"  // the stack engine: terraform runs, the account guard, lint
	releaseCLI = "release" // images, deploys, chart lint
)

// cli builds one of the project's CLIs (cmd/<name>) from --cli-source: the Go module's non-test files
// only, uploaded as a directory of their own, which Dagger keys by its content. App, chart, Terraform or
// test changes never rebuild it, and any checkout with the same Go sources (a fresh clone included)
// reuses the build. One exec per CLI: a step that runs only the stack engine does not wait for the
// (much larger) release engine to link.
func (m *Delivery) cli(env *environment.Environment, name string) *dagger.File {
	return goBuilder(env).
		WithDirectory("/build", m.CliSource).
		WithWorkdir("/build").
		WithExec([]string{"go", "build", "-trimpath", "-ldflags=-s -w", "-o", "/out/" + name, "./cmd/" + name}).
		File("/out/" + name)
}

// toolbox is the container every pipeline step runs in: the tools base, terraform (or tofu), the
// project's CLIs, the repository (src) at /src, and a terraform plugin cache.
func (m *Delivery) toolbox(env *environment.Environment, src *dagger.Directory) *dagger.Container {
	return m.toolboxWith(env, src, stacksCLI, releaseCLI)
}

// stackToolbox is the toolbox of the stack engine's terraform runs: the stacks CLI only.
func (m *Delivery) stackToolbox(env *environment.Environment, src *dagger.Directory) *dagger.Container {
	return m.toolboxWith(env, src, stacksCLI)
}

func (m *Delivery) toolboxWith(env *environment.Environment, src *dagger.Directory, clis ...string) *dagger.Container {
	bin := env.Terraform.Binary
	tf := dag.Container().From(env.Images.Terraform).File("/bin/" + bin)
	ctr := dag.Container().From(env.Images.Tools).
		WithFile("/usr/local/bin/"+bin, tf, dagger.ContainerWithFileOpts{Permissions: 0o755})
	for _, name := range clis {
		ctr = ctr.WithFile("/usr/local/bin/"+name, m.cli(env, name), dagger.ContainerWithFileOpts{Permissions: 0o755})
	}
	return ctr.
		WithMountedCache("/root/.terraform.d/plugin-cache", dag.CacheVolume("delivery-terraform-plugins")).
		WithEnvVariable("TF_PLUGIN_CACHE_DIR", "/root/.terraform.d/plugin-cache").
		WithEnvVariable("TF_IN_AUTOMATION", "1").
		WithEnvVariable("TF_BINARY", bin).
		WithDirectory(srcRoot, withoutMetadata(src)).
		WithWorkdir(srcRoot)
}

// withoutMetadata drops what no step reads and no container layer may hold: git metadata (the commit
// is passed explicitly) and the stack engine's local working files.
func withoutMetadata(src *dagger.Directory) *dagger.Directory {
	return src.Filter(dagger.DirectoryFilterOpts{Exclude: []string{".git", ".delivery"}})
}

// fresh makes the next exec run every time: side effects (deploys, applies) must never be served from
// the layer cache, whatever their inputs.
func fresh(ctr *dagger.Container) *dagger.Container {
	return ctr.WithEnvVariable("DELIVERY_RUN_AT", strconv.FormatInt(time.Now().UnixNano(), 10))
}
