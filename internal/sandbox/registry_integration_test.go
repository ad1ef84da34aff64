//go:build integration

package sandbox_test

import (
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/platformteam/delivery/internal/sandbox/sandboxtest"
)

// A pushed image reads back by digest with the same manifest digest, and the registry's digest
// header is the manifest's sha256.
func TestRegistryPushAndPullByDigest(t *testing.T) {
	sb := sandboxtest.Env(t)
	img, err := random.Image(512, 2)
	if err != nil {
		t.Fatal(err)
	}
	want, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	tag, err := name.NewTag(sb.Registry+"/sandbox-test/"+sandboxtest.UniqueName("push")+":v1", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(tag, img); err != nil {
		t.Fatalf("push %s: %v", tag, err)
	}
	desc, err := remote.Head(tag)
	if err != nil {
		t.Fatalf("resolve %s: %v", tag, err)
	}
	if desc.Digest != want {
		t.Errorf("registry digest for the tag = %s, want %s", desc.Digest, want)
	}
	byDigest := tag.Context().Digest(want.String())
	got, err := remote.Image(byDigest)
	if err != nil {
		t.Fatalf("pull %s: %v", byDigest, err)
	}
	gotDigest, _ := got.Digest()
	layers, _ := got.Layers()
	if gotDigest != want || len(layers) != 2 {
		t.Errorf("pulled %s with %d layers, want %s with 2", gotDigest, len(layers), want)
	}
}
