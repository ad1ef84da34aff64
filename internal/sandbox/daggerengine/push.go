package daggerengine

import (
	"context"
	"fmt"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// baseRefs are the references the sandbox serves, by role, e.g. go -> 127.0.0.1:5000/base/golang:1.26.
func baseRefs(registry string, imgs builtImages) map[string]string {
	return map[string]string{
		roleGo:    fmt.Sprintf("%s/base/golang:%s", registry, imgs.GoTag),
		roleTools: fmt.Sprintf("%s/base/tools:%s", registry, imgs.Suite),
	}
}

// pushBaseImages pushes the go and tools images to the sandbox registry unless it already serves
// them with the same digest, and returns their references.
func pushBaseImages(ctx context.Context, p progress, l paths, imgs builtImages) (map[string]string, error) {
	if l.registry == "" {
		p.linef("no registry given: base images not pushed")
		return map[string]string{}, nil
	}
	refs := baseRefs(l.registry, imgs)
	lp, err := layout.FromPath(imgs.LayoutDir)
	if err != nil {
		return nil, fmt.Errorf("open images layout %s: %w (delete it to rebuild)", imgs.LayoutDir, err)
	}
	for _, role := range []string{roleGo, roleTools} {
		ref, want := refs[role], imgs.Digests[role]
		err := p.step(ctx, "push "+ref, 10*time.Minute, func(ctx context.Context) error {
			r, err := name.ParseReference(ref, name.Insecure)
			if err != nil {
				return fmt.Errorf("parse %s: %w", ref, err)
			}
			if d, err := remote.Head(r, remote.WithContext(ctx)); err == nil && d.Digest.String() == want {
				p.linef("%s already served (%s)", ref, want)
				return nil
			}
			h, err := v1.NewHash(want)
			if err != nil {
				return err
			}
			img, err := lp.Image(h)
			if err != nil {
				return fmt.Errorf("read %s image from layout: %w", role, err)
			}
			if err := remote.Write(r, img, remote.WithContext(ctx)); err != nil {
				return fmt.Errorf("push to the sandbox registry %s: %w (is it up? `go run ./cmd/sandbox status`)", l.registry, err)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return refs, nil
}
