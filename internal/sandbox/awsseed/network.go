package awsseed

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// network is the VPC the ECS service and the EKS cluster record are placed in.
type network struct {
	VPCID           string
	SubnetIDs       []string // private subnets, one per zone (a, b)
	SecurityGroupID string
}

const seedVPCCIDR = "10.20.0.0/16"

var seedSubnets = []struct{ zoneSuffix, cidr string }{{"a", "10.20.1.0/24"}, {"b", "10.20.2.0/24"}}

// seedNetwork finds or creates, by Name tag, the VPC, two private subnets and the app's security group.
func seedNetwork(ctx context.Context, cfg aws.Config, n *names, done *Seeded) error {
	ec2c := ec2.NewFromConfig(cfg)
	net := &network{}
	vpcName := n.env.Name + "-vpc"
	vpcs, err := ec2c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: []ec2types.Filter{nameFilter(vpcName)}})
	if err != nil {
		return fmt.Errorf("describe VPCs: %w", err)
	}
	if len(vpcs.Vpcs) > 0 {
		net.VPCID = aws.ToString(vpcs.Vpcs[0].VpcId)
	} else {
		out, err := ec2c.CreateVpc(ctx, &ec2.CreateVpcInput{
			CidrBlock:         aws.String(seedVPCCIDR),
			TagSpecifications: tagSpec(ec2types.ResourceTypeVpc, vpcName, n.tags()),
		})
		if err != nil {
			return fmt.Errorf("create VPC %s: %w", vpcName, err)
		}
		net.VPCID = aws.ToString(out.Vpc.VpcId)
		done.add("vpc", vpcName)
	}

	for _, s := range seedSubnets {
		name := fmt.Sprintf("%s-private-%s", n.env.Name, s.zoneSuffix)
		subnets, err := ec2c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{
			nameFilter(name), {Name: aws.String("vpc-id"), Values: []string{net.VPCID}},
		}})
		if err != nil {
			return fmt.Errorf("describe subnets: %w", err)
		}
		if len(subnets.Subnets) > 0 {
			net.SubnetIDs = append(net.SubnetIDs, aws.ToString(subnets.Subnets[0].SubnetId))
			continue
		}
		out, err := ec2c.CreateSubnet(ctx, &ec2.CreateSubnetInput{
			VpcId:             aws.String(net.VPCID),
			CidrBlock:         aws.String(s.cidr),
			AvailabilityZone:  aws.String(cfg.Region + s.zoneSuffix),
			TagSpecifications: tagSpec(ec2types.ResourceTypeSubnet, name, n.tags()),
		})
		if err != nil {
			return fmt.Errorf("create subnet %s: %w", name, err)
		}
		net.SubnetIDs = append(net.SubnetIDs, aws.ToString(out.Subnet.SubnetId))
		done.add("subnet", name)
	}

	sgName := n.prefix + "-tasks"
	groups, err := ec2c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{
		{Name: aws.String("group-name"), Values: []string{sgName}}, {Name: aws.String("vpc-id"), Values: []string{net.VPCID}},
	}})
	if err != nil {
		return fmt.Errorf("describe security groups: %w", err)
	}
	if len(groups.SecurityGroups) > 0 {
		net.SecurityGroupID = aws.ToString(groups.SecurityGroups[0].GroupId)
	} else {
		out, err := ec2c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
			GroupName:         aws.String(sgName),
			Description:       aws.String("ECS tasks of " + n.prefix),
			VpcId:             aws.String(net.VPCID),
			TagSpecifications: tagSpec(ec2types.ResourceTypeSecurityGroup, sgName, n.tags()),
		})
		if err != nil {
			return fmt.Errorf("create security group %s: %w", sgName, err)
		}
		net.SecurityGroupID = aws.ToString(out.GroupId)
		done.add("security-group", sgName)
	}
	n.network = net
	return nil
}

func nameFilter(name string) ec2types.Filter {
	return ec2types.Filter{Name: aws.String("tag:Name"), Values: []string{name}}
}

func tagSpec(kind ec2types.ResourceType, name string, tags map[string]string) []ec2types.TagSpecification {
	spec := ec2types.TagSpecification{ResourceType: kind, Tags: []ec2types.Tag{{Key: aws.String("Name"), Value: aws.String(name)}}}
	for k, v := range tags {
		spec.Tags = append(spec.Tags, ec2types.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	return []ec2types.TagSpecification{spec}
}
