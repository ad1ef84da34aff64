package ecsdeploy

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/platformteam/delivery/pkg/artifact"
)

// PlatformVariable tells the app which runtime it is on; the ECS deploy sets it to PlatformValue.
const (
	PlatformVariable = "DEPLOY_PLATFORM"
	PlatformValue    = "ecs"
)

// errUnpinned is the error for a deploy that names no pinned image: a deploy must name exactly what runs.
var errUnpinned = fmt.Errorf("image is required, pinned by digest: <registry>/<repo>@sha256:<64 hex> (take it from artifact.json)")

// RegistrationFrom turns a live task definition into the input that registers it again unchanged.
// Every field RegisterTaskDefinition accepts is carried over (secrets' valueFrom, log configuration,
// roles, volumes, placement, runtime platform...), and the read-only fields the describe call adds
// (ARN, revision, status, requiresAttributes, compatibilities, registeredAt/By, deregisteredAt) are
// dropped because the input type has no place for them.
func RegistrationFrom(live *types.TaskDefinition, tags []types.Tag) (*ecs.RegisterTaskDefinitionInput, error) {
	if live == nil {
		return nil, fmt.Errorf("no task definition to copy")
	}
	raw, err := json.Marshal(live)
	if err != nil {
		return nil, fmt.Errorf("copy task definition %s: %w", aws.ToString(live.TaskDefinitionArn), err)
	}
	var in ecs.RegisterTaskDefinitionInput
	if err := json.Unmarshal(raw, &in); err != nil {
		return nil, fmt.Errorf("copy task definition %s: %w", aws.ToString(live.TaskDefinitionArn), err)
	}
	if len(tags) > 0 {
		in.Tags = append([]types.Tag(nil), tags...)
	}
	return &in, nil
}

// NextRevision builds the registration of the next revision: the live task definition with the named
// container's image replaced by image (repo@digest) and DEPLOY_PLATFORM=ecs set in its environment.
// An empty container name means the first container. Unknown names fail, listing the known ones.
func NextRevision(live *types.TaskDefinition, tags []types.Tag, container string, image artifact.Pinned) (*ecs.RegisterTaskDefinitionInput, string, error) {
	if image.IsZero() {
		return nil, "", errUnpinned
	}
	in, err := RegistrationFrom(live, tags)
	if err != nil {
		return nil, "", err
	}
	if len(in.ContainerDefinitions) == 0 {
		return nil, "", fmt.Errorf("task definition %s has no containers", aws.ToString(live.TaskDefinitionArn))
	}
	idx := 0
	if container != "" {
		idx = -1
		var names []string
		for i, c := range in.ContainerDefinitions {
			names = append(names, aws.ToString(c.Name))
			if aws.ToString(c.Name) == container {
				idx = i
			}
		}
		if idx < 0 {
			return nil, "", fmt.Errorf("container %q not found in task definition %s (containers: %s): fix ecs.container in delivery.yaml",
				container, aws.ToString(live.TaskDefinitionArn), strings.Join(names, ", "))
		}
	}
	c := &in.ContainerDefinitions[idx]
	c.Image = aws.String(image.String())
	c.Environment = setVariable(c.Environment, PlatformVariable, PlatformValue)
	return in, aws.ToString(c.Name), nil
}

// setVariable sets name=value, replacing every existing entry of that name (keeping the first's place).
func setVariable(env []types.KeyValuePair, name, value string) []types.KeyValuePair {
	out := make([]types.KeyValuePair, 0, len(env)+1)
	set := false
	for _, kv := range env {
		if aws.ToString(kv.Name) != name {
			out = append(out, kv)
			continue
		}
		if !set {
			out = append(out, types.KeyValuePair{Name: aws.String(name), Value: aws.String(value)})
			set = true
		}
	}
	if !set {
		out = append(out, types.KeyValuePair{Name: aws.String(name), Value: aws.String(value)})
	}
	return out
}
