package awsseed

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
)

// logRetentionDays is how long the app's ECS logs are kept.
const logRetentionDays = 30

// seedLogGroup creates the CloudWatch log group the task definition's awslogs driver writes to.
func seedLogGroup(ctx context.Context, cfg aws.Config, n *names, done *Seeded) error {
	client := cloudwatchlogs.NewFromConfig(cfg)
	groups, err := client.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(n.logGroup)})
	if err != nil {
		return fmt.Errorf("describe log groups: %w", err)
	}
	for _, g := range groups.LogGroups {
		if aws.ToString(g.LogGroupName) == n.logGroup {
			return nil
		}
	}
	if _, err := client.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(n.logGroup), Tags: n.tags()}); err != nil {
		var exists *logstypes.ResourceAlreadyExistsException
		if errors.As(err, &exists) {
			return nil
		}
		return fmt.Errorf("create log group %s: %w", n.logGroup, err)
	}
	if _, err := client.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{
		LogGroupName: aws.String(n.logGroup), RetentionInDays: aws.Int32(logRetentionDays),
	}); err != nil {
		return fmt.Errorf("set retention of %s: %w", n.logGroup, err)
	}
	done.add("log-group", n.logGroup)
	return nil
}
