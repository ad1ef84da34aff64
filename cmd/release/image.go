package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/platformteam/delivery/pkg/artifact"
	"github.com/platformteam/delivery/pkg/image"
	"github.com/platformteam/delivery/pkg/release"
	"github.com/platformteam/delivery/pkg/release/api"
	"github.com/platformteam/delivery/pkg/supplychain/provenance"
)

func imagePush(ctx context.Context, args []string) error {
	c := newFlags("image push")
	source := c.fs.String("source", "", "OCI layout directory, OCI layout tarball or `docker save` tarball [required]")
	commit := c.fs.String("commit", "", "commit SHA to tag with (default: from CI variables or git metadata)")
	noArtifact := c.fs.Bool("no-artifact", false, "do not write artifact.json")
	buildFile := c.fs.String("build", "", "the build record (provenance.Build JSON): sign the image and attach its SBOM and SLSA provenance before pushing it (docs/supply-chain.md)")
	if err := c.parse(args); err != nil {
		return err
	}
	if *source == "" {
		return usageError("--source is required")
	}
	acc, err := c.access()
	if err != nil {
		return err
	}
	sha, err := commitOf(c.root, *commit)
	if err != nil {
		return err
	}
	var pub api.Publication
	if *buildFile != "" {
		raw, err := os.ReadFile(*buildFile)
		if err != nil {
			return fmt.Errorf("read --build: %w", err)
		}
		build, err := api.Decode[provenance.Build](raw)
		if err != nil {
			return fmt.Errorf("--build: %w", err)
		}
		pub, err = release.PublishAttested(ctx, acc, *source, sha, build, createdNow())
		if err != nil {
			return err
		}
	} else if pub, err = release.Publish(ctx, acc, *source, sha, createdNow()); err != nil {
		return err
	}
	if !*noArtifact {
		if err := artifact.Write(c.artifactFile(), pub.Artifact); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "wrote %s\n", c.artifactFile())
	}
	return c.emit(pub, func(w io.Writer) { fmt.Fprintln(w, pub.Artifact.Image.Tagged()) })
}

// imageFind says whether the commit was published already: a commit is built once, so a publish
// step reuses what the registry holds under its tag instead of building it again.
func imageFind(ctx context.Context, args []string) error {
	c := newFlags("image find")
	commit := c.fs.String("commit", "", "commit SHA whose tag to look up (default: from CI variables or git metadata)")
	if err := c.parse(args); err != nil {
		return err
	}
	acc, err := c.access()
	if err != nil {
		return err
	}
	sha, err := commitOf(c.root, *commit)
	if err != nil {
		return err
	}
	reg, err := acc.Registry(ctx)
	if err != nil {
		return err
	}
	found := api.Found{}
	res, err := image.ResolveTag(ctx, reg, release.Repository(acc.Env), sha.Short())
	switch {
	case err == nil:
		if found.Artifact, err = artifact.New(sha, res.Image, createdNow()); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "commit %s is published: %s\n", sha.Short(), res.Image.Tagged())
	case errors.Is(err, image.ErrNotFound):
		fmt.Fprintf(os.Stderr, "commit %s is not published in %s yet\n", sha.Short(), release.Repository(acc.Env))
	default:
		return err
	}
	return c.emit(found, func(w io.Writer) {
		if found.Artifact == nil {
			fmt.Fprintln(w, "not published")
			return
		}
		fmt.Fprintln(w, found.Artifact.Image.Tagged())
	})
}

func imagePromote(ctx context.Context, args []string) error {
	c := newFlags("image promote")
	out := c.fs.String("out", artifact.DefaultPath, "where to write the promoted artifact.json")
	if err := c.parse(args); err != nil {
		return err
	}
	acc, a, err := c.accessAndArtifact()
	if err != nil {
		return err
	}
	pub, err := release.Promote(ctx, acc, a)
	if err != nil {
		return err
	}
	if err := artifact.Write(*out, pub.Artifact); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "wrote %s\n", *out)
	return c.emit(pub, func(w io.Writer) { fmt.Fprintln(w, pub.Artifact.Image.Tagged()) })
}

func imageResolve(ctx context.Context, args []string) error {
	c := newFlags("image resolve")
	ref := c.fs.String("ref", "", "pinned reference to confirm (<registry>/<repo>[:<tag>]@sha256:<hex>)")
	tag := c.fs.String("tag", "", "tag to resolve in the environment's repository (instead of --ref)")
	write := c.fs.Bool("write-artifact", false, "with --tag: write artifact.json for the resolved digest")
	if err := c.parse(args); err != nil {
		return err
	}
	if (*ref == "") == (*tag == "") {
		return usageError("pass exactly one of --ref or --tag")
	}
	acc, err := c.access()
	if err != nil {
		return err
	}
	reg, err := acc.Registry(ctx)
	if err != nil {
		return err
	}
	var res image.Resolved
	if *ref != "" {
		p, err := artifact.ParsePinned(*ref)
		if err != nil {
			return err
		}
		if res, err = image.Confirm(ctx, reg, p); err != nil {
			return err
		}
	} else {
		if res, err = image.ResolveTag(ctx, reg, release.Repository(acc.Env), *tag); err != nil {
			return err
		}
		if *write {
			if err := writeTagArtifact(c.artifactFile(), res); err != nil {
				return err
			}
		}
	}
	return c.emit(res, func(w io.Writer) { fmt.Fprintln(w, res.Image.Tagged()) })
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
	acc, err := c.access()
	if err != nil {
		return err
	}
	if *tag == "" {
		if a, err := c.readArtifact(); err == nil {
			*tag = a.Tag()
		} else {
			sha, err := commitOf(c.root, "")
			if err != nil {
				return err
			}
			*tag = sha.Short()
		}
	}
	reg, err := acc.Registry(ctx)
	if err != nil {
		return err
	}
	res, attempts, err := image.WaitForTag(ctx, reg, release.Repository(acc.Env), *tag, image.WaitOptions{
		Backoff:  image.Backoff{Initial: *initial, Max: *maxDelay, Timeout: c.timeout},
		Progress: os.Stderr,
	})
	if err != nil {
		return err
	}
	if *write {
		if err := writeTagArtifact(c.artifactFile(), res); err != nil {
			return err
		}
	}
	out := struct {
		image.Resolved
		Attempts int `json:"attempts"`
	}{res, attempts}
	return c.emit(out, func(w io.Writer) { fmt.Fprintln(w, res.Image.Tagged()) })
}

// writeTagArtifact records a tag's image as the build of the commit the tag names.
func writeTagArtifact(path string, res image.Resolved) error {
	sha, err := artifact.ParseCommit(res.Image.Tag())
	if err != nil {
		return fmt.Errorf("tag %q is not a commit SHA, so it cannot name a build: %w", res.Image.Tag(), err)
	}
	a, err := artifact.New(sha, res.Image, createdNow())
	if err == nil {
		err = artifact.Write(path, a)
	}
	if err != nil {
		return fmt.Errorf("tag %q: %w", res.Image.Tag(), err)
	}
	fmt.Fprintf(os.Stderr, "wrote %s: %s\n", path, a.Ref())
	return nil
}
