// Package distconsts stands in for github.com/dagger/dagger/engine/distconsts, a module that the
// Go module proxy does not serve at the pinned Dagger release and that the dagger module zip leaves out.
// Only the names the engine, CLI and helpers reference are defined. The paths must match the layout of
// the engine rootfs that pkg/sandbox/daggerengine assembles; the image names are the defaults the engine
// would pull online and are never used offline.
package distconsts

// Engine identity and its default client socket.
const (
	EngineContainerName   = "dagger-engine.dev"
	DefaultEngineSockAddr = "unix:///run/dagger/engine.sock"
)

// Paths inside the engine's root filesystem.
const (
	RuncPath                         = "/usr/local/bin/runc"
	DaggerInitPath                   = "/usr/local/bin/dagger-init"
	EngineDefaultStateDir            = "/var/lib/dagger"
	EngineContainerBuiltinContentDir = "/usr/local/share/dagger/content"
	EngineCustomCACertsDir           = "/usr/local/share/ca-certificates"
)

// Environment variables holding the manifest digest of each SDK's builtin runtime image, stored as an
// OCI layout under EngineContainerBuiltinContentDir.
const (
	GoSDKManifestDigestEnvName         = "DAGGER_GO_SDK_MANIFEST_DIGEST"
	PythonSDKManifestDigestEnvName     = "DAGGER_PYTHON_SDK_MANIFEST_DIGEST"
	TypescriptSDKManifestDigestEnvName = "DAGGER_TYPESCRIPT_SDK_MANIFEST_DIGEST"
)

// Default utility images (online only).
const (
	AlpineVersion  = "3.22.1"
	AlpineImage    = "alpine:" + AlpineVersion
	GolangVersion  = "1.25.3"
	GolangImage    = "golang:" + GolangVersion + "-alpine"
	BusyboxVersion = "1.37.0"
	BusyboxImage   = "busybox:" + BusyboxVersion
)

// OCIVersionAnnotation is the annotation carrying an image's version.
const OCIVersionAnnotation = "org.opencontainers.image.version"
