package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/platformteam/delivery/pkg/artifact"
	"github.com/platformteam/delivery/pkg/image"
	"github.com/platformteam/delivery/pkg/release"
)

func artifactWrite(ctx context.Context, args []string) error {
	c := newFlags("artifact write")
	ref := c.fs.String("ref", "", "pushed reference <registry>/<repo>[:<tag>]@sha256:<hex> (what another tool pushed) [required]")
	commit := c.fs.String("commit", "", "short or full commit SHA (default: CODEBUILD_RESOLVED_SOURCE_VERSION, GITHUB_SHA, then git metadata of --root)")
	version := c.fs.String("build-version", "", "build version (default: the short SHA)")
	if err := c.parse(args); err != nil {
		return err
	}
	if *ref == "" {
		return usageError("--ref is required")
	}
	acc, err := c.access()
	if err != nil {
		return err
	}
	published, err := artifact.ParsePinned(*ref)
	if err != nil {
		return err
	}
	if published.Path() != acc.Env.Image.Repository {
		return fmt.Errorf("reference %s is not the environment's repository %q (image.repository in delivery.yaml)", *ref, acc.Env.Image.Repository)
	}
	sha, err := commitOf(c.root, *commit)
	if err != nil {
		return err
	}
	if published.Tag() != "" && published.Tag() != sha.Short() {
		return fmt.Errorf("reference tag %q is not the commit's short SHA %q: push with the short SHA tag", published.Tag(), sha.Short())
	}
	reg, err := acc.Registry(ctx)
	if err != nil {
		return err
	}
	resolved, err := image.Confirm(ctx, reg, published)
	if err != nil {
		return err
	}
	// A ref pushed through the --registry alias (e.g. from inside a container) is recorded under the
	// registry's canonical name, which is what the deploys and verify use.
	img := resolved.Image
	if c.conn.Registry != "" && published.Registry() == c.conn.Registry {
		if img, err = img.In(release.Repository(acc.Env)); err != nil {
			return err
		}
	}
	a, err := artifact.New(sha, img, createdNow())
	if err != nil {
		return err
	}
	if *version != "" {
		a.BuildVersion = *version
	}
	if err := artifact.Write(c.artifactFile(), a); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "wrote %s: %s (commit %s, confirmed with 1 registry request)\n", c.artifactFile(), a.Ref(), a.Tag())
	return c.emit(a, func(w io.Writer) { fmt.Fprintln(w, a.Ref()) })
}

func artifactShow(_ context.Context, args []string) error {
	c := newFlags("artifact show")
	// --env is not needed to read an artifact; it is accepted for uniformity.
	c.envOptional = true
	if err := c.parse(args); err != nil {
		return err
	}
	a, err := c.readArtifact()
	if err != nil {
		return err
	}
	return c.emit(a, func(w io.Writer) {
		fmt.Fprintf(w, "commit_sha     %s\nimage          %s\ndigest         %s\nbuild_version  %s\ncreated        %s\nref            %s\n",
			a.Tag(), a.Repository(), a.Digest(), a.BuildVersion, a.Created.Format(time.RFC3339), a.Ref())
	})
}

// commitOf is --commit, else the commit of the build's sources (CI variables, then git metadata).
func commitOf(root, explicit string) (artifact.Commit, error) {
	if explicit == "" {
		c, err := image.Commit(root, nil)
		return c.Commit, err
	}
	c, err := artifact.ParseCommit(explicit)
	if err != nil {
		return artifact.Commit{}, usageError("--commit: %v", err)
	}
	return c, nil
}

// createdNow is the artifact creation time as the file stores it (UTC, whole seconds).
func createdNow() time.Time { return time.Now().UTC().Truncate(time.Second) }
