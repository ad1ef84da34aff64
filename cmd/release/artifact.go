package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/platformteam/delivery/pkg/artifact"
	"github.com/platformteam/delivery/pkg/image"
)

func artifactWrite(ctx context.Context, args []string) error {
	c := newFlags("artifact write")
	ref := c.fs.String("ref", "", "published reference <registry>/<repo>[:<tag>]@sha256:<hex> (what Dagger's Publish returns) [required]")
	commit := c.fs.String("commit", "", "short or full commit SHA (default: CODEBUILD_RESOLVED_SOURCE_VERSION, GITHUB_SHA, then git metadata of --root)")
	version := c.fs.String("build-version", "", "build version (default: the short SHA)")
	if err := c.parse(args); err != nil {
		return err
	}
	if *ref == "" {
		return usageError("--ref is required")
	}
	env, err := c.environment()
	if err != nil {
		return err
	}
	published, err := image.ParsePublished(*ref)
	if err != nil {
		return err
	}
	if !strings.HasSuffix(published.Repository, "/"+env.Image.Repository) {
		return fmt.Errorf("reference %s is not the environment's repository %q (image.repository in delivery.yaml)", *ref, env.Image.Repository)
	}
	short, err := shortCommit(c.root, *commit)
	if err != nil {
		return err
	}
	if published.Tag != "" && published.Tag != short {
		return fmt.Errorf("reference tag %q is not the commit's short SHA %q: publish with the short SHA tag", published.Tag, short)
	}
	reg, canonical, err := c.imageRegistry(ctx, env)
	if err != nil {
		return err
	}
	resolved, err := image.Confirm(ctx, reg, published)
	if err != nil {
		return err
	}
	// A ref published through the --registry alias (e.g. from inside a container) is recorded under the
	// registry's canonical name, which is what the deploys and verify use.
	if c.registry != "" && strings.HasPrefix(published.Repository, c.registry+"/") {
		resolved.Repository = canonical
	}
	a := &artifact.Artifact{CommitSHA: short, Image: resolved.Repository, Digest: resolved.Digest,
		BuildVersion: orDefault(*version, short), Created: createdNow()}
	if err := artifact.Write(c.artifactPath, a); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "wrote %s: %s (commit %s, confirmed with 1 registry request)\n", c.artifactPath, a.Ref(), a.CommitSHA)
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
			a.CommitSHA, a.Image, a.Digest, a.BuildVersion, a.Created.Format(time.RFC3339), a.Ref())
	})
}

// shortCommit returns the 7-character tag from an explicit SHA or the build's sources.
func shortCommit(root, explicit string) (string, error) {
	if explicit == "" {
		return image.ShortSHA(root, nil)
	}
	explicit = strings.ToLower(strings.TrimSpace(explicit))
	if len(explicit) < image.ShortSHALength || strings.Trim(explicit, "0123456789abcdef") != "" {
		return "", usageError("--commit %q is not a commit SHA (at least 7 hex characters)", explicit)
	}
	return explicit[:image.ShortSHALength], nil
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// createdNow is the artifact creation time as the file stores it (UTC, whole seconds).
func createdNow() time.Time { return time.Now().UTC().Truncate(time.Second) }
