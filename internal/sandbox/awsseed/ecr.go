package awsseed

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/platformteam/delivery/internal/iampolicy"
)

// seedECR creates the repository as stacks/shared/ecr does (tags IMMUTABLE, scan on push) and sets its
// repository policy to the rendered one (the promotion pull of the next environment's deploy role).
func seedECR(ctx context.Context, cfg aws.Config, n *names, ids *iampolicy.Identities, done *Seeded) error {
	client := ecr.NewFromConfig(cfg)
	_, err := client.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{n.app}})
	var missing *ecrtypes.RepositoryNotFoundException
	switch {
	case errors.As(err, &missing):
		var tags []ecrtypes.Tag
		for k, v := range n.tags() {
			tags = append(tags, ecrtypes.Tag{Key: aws.String(k), Value: aws.String(v)})
		}
		if _, err := client.CreateRepository(ctx, &ecr.CreateRepositoryInput{
			RepositoryName:             aws.String(n.app),
			ImageTagMutability:         ecrtypes.ImageTagMutabilityImmutable,
			ImageScanningConfiguration: &ecrtypes.ImageScanningConfiguration{ScanOnPush: true},
			EncryptionConfiguration:    &ecrtypes.EncryptionConfiguration{EncryptionType: ecrtypes.EncryptionTypeAes256},
			Tags:                       tags,
		}); err != nil {
			return fmt.Errorf("create repository %s: %w", n.app, err)
		}
		done.add("ecr-repository", n.app)
	case err != nil:
		return fmt.Errorf("describe repository %s: %w", n.app, err)
	}
	if ids == nil {
		return nil
	}
	for _, p := range ids.RepositoryPolicies {
		current, err := client.GetRepositoryPolicy(ctx, &ecr.GetRepositoryPolicyInput{RepositoryName: aws.String(p.Repository)})
		if err == nil && sameDocument(aws.ToString(current.PolicyText), string(p.Document)) {
			continue
		}
		if _, err := client.SetRepositoryPolicy(ctx, &ecr.SetRepositoryPolicyInput{RepositoryName: aws.String(p.Repository),
			PolicyText: aws.String(string(p.Document))}); err != nil {
			return fmt.Errorf("set the policy of repository %s: %w", p.Repository, err)
		}
		done.add("ecr-repository-policy", p.Repository)
	}
	return nil
}

// BootstrapImage is the placeholder image of the seeded task definitions: one small fixed layer, so
// its digest is the same in every account and on every machine.
func BootstrapImage() (v1.Image, error) {
	layer := static.NewLayer([]byte("sandbox bootstrap image: the first deploy replaces it\n"), types.OCILayer)
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return nil, err
	}
	return mutate.MediaType(img, types.OCIManifestSchema1), nil
}

// seedBootstrapImage writes the bootstrap image at ref (plain HTTP, the registry backend) unless it is there.
func seedBootstrapImage(ctx context.Context, ref string, done *Seeded) error {
	if ref == "" {
		return nil
	}
	tag, err := name.NewTag(ref, name.Insecure)
	if err != nil {
		return fmt.Errorf("bootstrap image %q: %w", ref, err)
	}
	_, err = remote.Head(tag, remote.WithContext(ctx))
	var te *transport.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &te) && te.StatusCode == http.StatusNotFound:
	default:
		return fmt.Errorf("check %s: %w (is the registry up?)", ref, err)
	}
	img, err := BootstrapImage()
	if err != nil {
		return err
	}
	if err := remote.Write(tag, img, remote.WithContext(ctx)); err != nil {
		return fmt.Errorf("push %s: %w", ref, err)
	}
	done.add("image", ref)
	return nil
}
