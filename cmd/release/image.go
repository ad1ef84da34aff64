package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/platformteam/delivery/pkg/artifact"
	"github.com/platformteam/delivery/pkg/image"
)

func imagePush(ctx context.Context, args []string) error {
	c := newFlags("image push")
	source := c.fs.String("source", "", "OCI layout directory, OCI layout tarball or `docker save` tarball [required]")
	commit := c.fs.String("commit", "", "commit SHA to tag with (default: from CI variables or git metadata)")
	noArtifact := c.fs.Bool("no-artifact", false, "do not write artifact.json")
	if err := c.parse(args); err != nil {
		return err
	}
	if *source == "" {
		return usageError("--source is required")
	}
	env, err := c.environment()
	if err != nil {
		return err
	}
	tag, err := shortCommit(c.root, *commit)
	if err != nil {
		return err
	}
	reg, repo, err := c.imageRegistry(ctx, env)
	if err != nil {
		return err
	}
	pushed, err := image.Push(ctx, reg, repo, tag, *source)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "pushed %s:%s → %s\n", repo, tag, pushed.Digest)
	if !*noArtifact {
		a := &artifact.Artifact{CommitSHA: tag, Image: repo, Digest: pushed.Digest, BuildVersion: tag, Created: createdNow()}
		if err := artifact.Write(c.artifactPath, a); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "wrote %s\n", c.artifactPath)
	}
	return c.emit(pushed, func(w io.Writer) { fmt.Fprintln(w, pushed.Ref()) })
}

func imageResolve(ctx context.Context, args []string) error {
	c := newFlags("image resolve")
	ref := c.fs.String("ref", "", "published reference to confirm (<registry>/<repo>[:<tag>]@sha256:<hex>)")
	tag := c.fs.String("tag", "", "tag to resolve in the environment's repository (instead of --ref)")
	write := c.fs.Bool("write-artifact", false, "with --tag: write artifact.json for the resolved digest")
	if err := c.parse(args); err != nil {
		return err
	}
	if (*ref == "") == (*tag == "") {
		return usageError("pass exactly one of --ref or --tag")
	}
	env, err := c.environment()
	if err != nil {
		return err
	}
	reg, repo, err := c.imageRegistry(ctx, env)
	if err != nil {
		return err
	}
	var res image.Resolved
	if *ref != "" {
		p, err := image.ParsePublished(*ref)
		if err != nil {
			return err
		}
		if res, err = image.Confirm(ctx, reg, p); err != nil {
			return err
		}
	} else {
		if res, err = image.ResolveTag(ctx, reg, repo, *tag); err != nil {
			return err
		}
		if *write {
			if err := writeTagArtifact(c.artifactPath, res); err != nil {
				return err
			}
		}
	}
	return c.emit(res, func(w io.Writer) { fmt.Fprintln(w, res.Ref()) })
}

func imageWaitForTag(ctx context.Context, args []string) error {
	c := newFlags("image wait-for-tag").withTimeout("give up after this long (default 10m)")
	tag := c.fs.String("tag", "", "tag to wait for (default: commit_sha of --artifact, else the short SHA of the sources)")
	write := c.fs.Bool("write-artifact", false, "write artifact.json for the digest found")
	initial := c.fs.Duration("initial-delay", time.Second, "first retry delay (doubles up to --max-delay)")
	maxDelay := c.fs.Duration("max-delay", 20*time.Second, "longest delay between checks")
	if err := c.parse(args); err != nil {
		return err
	}
	env, err := c.environment()
	if err != nil {
		return err
	}
	if *tag == "" {
		if a, err := artifact.Read(c.artifactPath); err == nil {
			*tag = a.CommitSHA
		} else if *tag, err = shortCommit(c.root, ""); err != nil {
			return err
		}
	}
	reg, repo, err := c.imageRegistry(ctx, env)
	if err != nil {
		return err
	}
	res, attempts, err := image.WaitForTag(ctx, reg, repo, *tag, image.WaitOptions{
		Backoff:  image.Backoff{Initial: *initial, Max: *maxDelay, Timeout: c.timeout},
		Progress: os.Stderr,
	})
	if err != nil {
		return err
	}
	if *write {
		if err := writeTagArtifact(c.artifactPath, res); err != nil {
			return err
		}
	}
	out := struct {
		image.Resolved
		Attempts int `json:"attempts"`
	}{res, attempts}
	return c.emit(out, func(w io.Writer) { fmt.Fprintln(w, res.Ref()) })
}

func writeTagArtifact(path string, res image.Resolved) error {
	a := &artifact.Artifact{CommitSHA: res.Tag, Image: res.Repository, Digest: res.Digest, BuildVersion: res.Tag, Created: createdNow()}
	if err := artifact.Write(path, a); err != nil {
		return fmt.Errorf("tag %q: %w", res.Tag, err)
	}
	fmt.Fprintf(os.Stderr, "wrote %s: %s\n", path, a.Ref())
	return nil
}
