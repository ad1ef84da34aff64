package awsfront

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/platformteam/delivery/internal/sandbox/iameval"
)

// Access is one IAM check an operation needs: an action on a resource with its condition keys. Most
// operations need one; some need more (RegisterTaskDefinition also passes roles: iam:PassRole).
type Access struct {
	Action string
	// Resource is the ARN, "*" for actions without resource-level permissions, or "" when the twin does
	// not derive it (then any Resource element matches: see iameval.Request).
	Resource string
	Context  map[string][]string
	// ResourceAccount owns the resource when it is not the caller's account (cross-account ECR).
	ResourceAccount string
	// Repository names an ECR repository whose repository policy takes part in the decision.
	Repository string
	// ResourcePolicy is a resource policy the handler already read (a KMS key policy); nil for none.
	ResourcePolicy *iameval.Policy
}

// accessFor returns the IAM checks of a call. Operations not mapped get one check of their action with
// an underived resource, so the action still has to be granted.
func accessFor(c *Call, r *http.Request) []Access {
	action := c.Service + ":" + c.Operation
	var out []Access
	switch c.Service {
	case "ecs":
		out = ecsAccess(c)
	case "ecr":
		out = ecrAccess(c)
	case "eks":
		out = eksAccess(c, r)
	case "s3":
		out = s3Access(c, r)
	case "iam":
		out = iamAccess(c)
	case "ssm":
		out = ssmAccess(c)
	case "logs":
		out = logsAccess(c)
	case "dynamodb":
		out = dynamodbAccess(c)
	case "kms":
		out = kmsAccess(c)
	case "sts":
		out = []Access{{Action: action, Resource: c.Form.Get("RoleArn")}}
	}
	if out == nil {
		out = []Access{{Action: action}}
	}
	return out
}

func (c *Call) arn(service, resource string) string {
	region := c.Region
	if service == "iam" || service == "s3" {
		region = ""
	}
	account := c.Account
	if service == "s3" {
		account = ""
	}
	return fmt.Sprintf("arn:aws:%s:%s:%s:%s", service, region, account, resource)
}

func isARN(s string) bool { return strings.HasPrefix(s, "arn:") }

// --- ECS -------------------------------------------------------------------------------------------

// ecsClusterName is the cluster a request names (name or ARN; "default" when absent).
func ecsClusterName(v string) string {
	if v == "" {
		return "default"
	}
	if isARN(v) {
		return v[strings.LastIndex(v, "/")+1:]
	}
	return v
}

func ecsAccess(c *Call) []Access {
	action := "ecs:" + c.Operation
	cluster := ecsClusterName(c.Str("cluster"))
	clusterARN := c.arn("ecs", "cluster/"+cluster)
	ctx := map[string][]string{"ecs:cluster": {clusterARN}}
	one := func(resource string) []Access { return []Access{{Action: action, Resource: resource, Context: ctx}} }
	switch c.Operation {
	case "DescribeServices":
		var out []Access
		for _, s := range c.Strs("services") {
			out = append(out, Access{Action: action, Resource: ecsServiceARN(c, cluster, s), Context: ctx})
		}
		return out
	case "UpdateService", "DeleteService":
		return one(ecsServiceARN(c, cluster, c.Str("service")))
	case "CreateService":
		return one(ecsServiceARN(c, cluster, c.Str("serviceName")))
	case "ListServiceDeployments":
		return one(ecsServiceARN(c, cluster, c.Str("service")))
	case "DescribeServiceDeployments":
		// Resource type service-deployment: the ARNs named.
		var out []Access
		for _, arn := range c.Strs("serviceDeploymentArns") {
			out = append(out, Access{Action: action, Resource: arn})
		}
		return out
	case "DescribeClusters":
		names := c.Strs("clusters")
		if len(names) == 0 {
			names = []string{"default"}
		}
		var out []Access
		for _, n := range names {
			out = append(out, Access{Action: action, Resource: c.arn("ecs", "cluster/"+ecsClusterName(n))})
		}
		return out
	case "CreateCluster":
		return []Access{{Action: action, Resource: c.arn("ecs", "cluster/"+ecsClusterName(c.Str("clusterName")))}}
	case "DeleteCluster", "UpdateCluster", "UpdateClusterSettings", "PutClusterCapacityProviders":
		return one(clusterARN)
	case "ListServices", "ListServicesByNamespace":
		// No resource-level permission (the Service Authorization Reference): "*" with ecs:cluster.
		return one("*")
	case "ListTasks":
		// Resource type container-instance (with the cluster's name), condition ecs:cluster; a policy
		// naming only the cluster ARN does not grant it.
		return one(c.arn("ecs", "container-instance/"+cluster+"/*"))
	case "DescribeTasks", "StopTask":
		var out []Access
		ids := c.Strs("tasks")
		if c.Operation == "StopTask" {
			ids = []string{c.Str("task")}
		}
		for _, t := range ids {
			arn := t
			if !isARN(t) {
				arn = c.arn("ecs", "task/"+cluster+"/"+t)
			}
			out = append(out, Access{Action: action, Resource: arn, Context: ctx})
		}
		return out
	case "RegisterTaskDefinition":
		out := []Access{{Action: action, Resource: "*"}}
		for _, field := range []string{"executionRoleArn", "taskRoleArn"} {
			if role := c.Str(field); role != "" {
				out = append(out, Access{Action: "iam:PassRole", Resource: role,
					Context: map[string][]string{"iam:PassedToService": {"ecs-tasks.amazonaws.com"}}})
			}
		}
		if tags, _ := c.JSON()["tags"].([]any); len(tags) > 0 {
			out = append(out, Access{Action: "ecs:TagResource", Resource: c.arn("ecs", "task-definition/"+c.Str("family")+":*"),
				Context: map[string][]string{"ecs:CreateAction": {"RegisterTaskDefinition"}}})
		}
		return out
	case "DescribeTaskDefinition", "ListTaskDefinitions", "ListTaskDefinitionFamilies", "DeregisterTaskDefinition",
		"ListClusters", "ListAccountSettings", "PutAccountSetting", "PutAccountSettingDefault", "DescribeCapacityProviders":
		return one("*")
	case "TagResource", "UntagResource", "ListTagsForResource":
		return one(c.Str("resourceArn"))
	}
	return nil
}

func ecsServiceARN(c *Call, cluster, service string) string {
	if isARN(service) {
		return service
	}
	return c.arn("ecs", "service/"+cluster+"/"+service)
}

// --- ECR -------------------------------------------------------------------------------------------

func ecrAccess(c *Call) []Access {
	action := "ecr:" + c.Operation
	registry := c.Str("registryId")
	repoAccess := func(name string) Access {
		a := Access{Action: action, Repository: name}
		account := c.Account
		if registry != "" && registry != c.Account {
			a.ResourceAccount, account = registry, registry
		}
		a.Resource = fmt.Sprintf("arn:aws:ecr:%s:%s:repository/%s", c.Region, account, name)
		return a
	}
	switch c.Operation {
	case "GetAuthorizationToken", "DescribeRegistry", "GetRegistryPolicy", "PutRegistryPolicy", "DeleteRegistryPolicy":
		return []Access{{Action: action, Resource: "*"}}
	case "DescribeRepositories":
		names := c.Strs("repositoryNames")
		if len(names) == 0 {
			return []Access{{Action: action, Resource: "*"}}
		}
		var out []Access
		for _, n := range names {
			out = append(out, repoAccess(n))
		}
		return out
	case "TagResource", "UntagResource", "ListTagsForResource":
		return []Access{{Action: action, Resource: c.Str("resourceArn")}}
	}
	if name := c.Str("repositoryName"); name != "" {
		return []Access{repoAccess(name)}
	}
	return nil
}

// --- EKS -------------------------------------------------------------------------------------------

func eksAccess(c *Call, r *http.Request) []Access {
	action := "eks:" + c.Operation
	parts := strings.Split(strings.Trim(r.URL.EscapedPath(), "/"), "/")
	switch {
	case c.Operation == "ListClusters", c.Operation == "ListAccessPolicies":
		return []Access{{Action: action, Resource: "*"}}
	case c.Operation == "CreateCluster":
		return []Access{{Action: action, Resource: c.arn("eks", "cluster/"+c.Str("name"))}}
	case len(parts) >= 2 && parts[0] == "clusters":
		return []Access{{Action: action, Resource: c.arn("eks", "cluster/"+parts[1])}}
	}
	return nil
}

// --- S3 --------------------------------------------------------------------------------------------

// s3Actions maps an operation to its IAM action where the names differ.
var s3Actions = map[string]string{
	"ListObjectsV2": "ListBucket", "ListObjects": "ListBucket", "HeadBucket": "ListBucket",
	"ListObjectVersions": "ListBucketVersions", "ListBuckets": "ListAllMyBuckets",
	"HeadObject": "GetObject", "UploadPart": "PutObject", "CreateMultipartUpload": "PutObject",
	"CompleteMultipartUpload": "PutObject", "CopyObject": "PutObject", "ListParts": "ListMultipartUploadParts",
	"GetBucketEncryption": "GetEncryptionConfiguration", "PutBucketEncryption": "PutEncryptionConfiguration",
	"DeleteBucketEncryption": "PutEncryptionConfiguration",
	"GetPublicAccessBlock":   "GetBucketPublicAccessBlock", "PutPublicAccessBlock": "PutBucketPublicAccessBlock",
	"DeletePublicAccessBlock":         "PutBucketPublicAccessBlock",
	"GetBucketLifecycleConfiguration": "GetLifecycleConfiguration", "PutBucketLifecycleConfiguration": "PutLifecycleConfiguration",
	"DeleteBucketLifecycle": "PutLifecycleConfiguration", "DeleteBucketTagging": "PutBucketTagging",
	"ListMultipartUploads": "ListBucketMultipartUploads", "DeleteObjects": "DeleteObject",
	"GetBucketCors": "GetBucketCORS", "PutBucketCors": "PutBucketCORS", "DeleteBucketCors": "PutBucketCORS",
	"DeleteBucketOwnershipControls": "PutBucketOwnershipControls", "DeleteBucketWebsite": "DeleteBucketWebsite",
	"GetBucketNotificationConfiguration": "GetBucketNotification", "PutBucketNotificationConfiguration": "PutBucketNotification",
	"GetBucketReplication": "GetReplicationConfiguration", "PutBucketReplication": "PutReplicationConfiguration",
	"DeleteBucketReplication": "PutReplicationConfiguration", "GetBucketAccelerateConfiguration": "GetAccelerateConfiguration",
	"PutBucketAccelerateConfiguration": "PutAccelerateConfiguration", "GetObjectLockConfiguration": "GetBucketObjectLockConfiguration",
	"PutObjectLockConfiguration": "PutBucketObjectLockConfiguration",
}

func s3Access(c *Call, r *http.Request) []Access {
	bucket, key := s3BucketKey(r)
	name := c.Operation
	if a, ok := s3Actions[name]; ok {
		name = a
	}
	q := r.URL.Query()
	if q.Get("versionId") != "" {
		switch c.Operation {
		case "GetObject", "HeadObject":
			name = "GetObjectVersion"
		case "DeleteObject":
			name = "DeleteObjectVersion"
		}
	}
	action := "s3:" + name
	switch {
	case bucket == "":
		return []Access{{Action: action, Resource: "*"}}
	case c.Operation == "DeleteObjects":
		var req struct {
			Objects []struct {
				Key string `xml:"Key"`
			} `xml:"Object"`
		}
		_ = xml.Unmarshal(c.Body, &req)
		var out []Access
		for _, o := range req.Objects {
			out = append(out, Access{Action: action, Resource: "arn:aws:s3:::" + bucket + "/" + o.Key})
		}
		return out
	case key == "":
		ctx := map[string][]string{}
		if strings.HasPrefix(c.Operation, "ListObjects") || c.Operation == "ListObjectVersions" {
			ctx["s3:prefix"] = []string{q.Get("prefix")}
			if d := q.Get("delimiter"); d != "" {
				ctx["s3:delimiter"] = []string{d}
			}
			if m := q.Get("max-keys"); m != "" {
				ctx["s3:max-keys"] = []string{m}
			}
		}
		return []Access{{Action: action, Resource: "arn:aws:s3:::" + bucket, Context: ctx}}
	}
	out := []Access{{Action: action, Resource: "arn:aws:s3:::" + bucket + "/" + key}}
	if src := r.Header.Get("X-Amz-Copy-Source"); src != "" {
		if u, err := url.PathUnescape(strings.TrimPrefix(src, "/")); err == nil {
			u, _, _ = strings.Cut(u, "?")
			out = append(out, Access{Action: "s3:GetObject", Resource: "arn:aws:s3:::" + u})
		}
	}
	return out
}

// --- IAM -------------------------------------------------------------------------------------------

func iamAccess(c *Call) []Access {
	action := "iam:" + c.Operation
	f := c.Form
	var resource string
	switch {
	case f.Get("RoleName") != "":
		resource = c.arn("iam", "role/"+f.Get("RoleName"))
	case f.Get("UserName") != "":
		resource = c.arn("iam", "user/"+f.Get("UserName"))
	case f.Get("PolicyArn") != "":
		resource = f.Get("PolicyArn")
	case f.Get("OpenIDConnectProviderArn") != "":
		resource = f.Get("OpenIDConnectProviderArn")
	case f.Get("GroupName") != "":
		resource = c.arn("iam", "group/"+f.Get("GroupName"))
	case f.Get("InstanceProfileName") != "":
		resource = c.arn("iam", "instance-profile/"+f.Get("InstanceProfileName"))
	case c.Operation == "CreatePolicy":
		path := f.Get("Path")
		if path == "" {
			path = "/"
		}
		resource = c.arn("iam", "policy"+path+f.Get("PolicyName"))
	case c.Operation == "CreateOpenIDConnectProvider":
		host := strings.TrimPrefix(strings.TrimPrefix(f.Get("Url"), "https://"), "http://")
		resource = c.arn("iam", "oidc-provider/"+host)
	case strings.HasPrefix(c.Operation, "List"), strings.HasPrefix(c.Operation, "Get"):
		resource = "*"
	}
	if c.Operation == "CreateAccessKey" && f.Get("UserName") == "" && strings.Contains(c.Caller.Principal, ":user/") {
		resource = c.Caller.Principal
	}
	return []Access{{Action: action, Resource: resource}}
}

// --- SSM, Logs, DynamoDB, KMS ------------------------------------------------------------------------

func ssmParameterARN(c *Call, name string) string {
	if isARN(name) {
		return name
	}
	return c.arn("ssm", "parameter/"+strings.TrimPrefix(name, "/"))
}

func ssmAccess(c *Call) []Access {
	action := "ssm:" + c.Operation
	switch {
	case c.Operation == "DescribeParameters":
		return []Access{{Action: action, Resource: "*"}}
	case c.Str("Name") != "":
		return []Access{{Action: action, Resource: ssmParameterARN(c, c.Str("Name"))}}
	case c.Str("Path") != "":
		return []Access{{Action: action, Resource: ssmParameterARN(c, strings.TrimSuffix(c.Str("Path"), "/"))}}
	case len(c.Strs("Names")) > 0:
		var out []Access
		for _, n := range c.Strs("Names") {
			out = append(out, Access{Action: action, Resource: ssmParameterARN(c, n)})
		}
		return out
	case c.Str("ResourceType") == "Parameter":
		return []Access{{Action: action, Resource: ssmParameterARN(c, c.Str("ResourceId"))}}
	}
	return nil
}

func logsAccess(c *Call) []Access {
	action := "logs:" + c.Operation
	group := c.Str("logGroupName")
	switch {
	case group != "" && c.Str("logStreamName") != "":
		return []Access{{Action: action, Resource: c.arn("logs", "log-group:"+group+":log-stream:"+c.Str("logStreamName"))}}
	case group != "":
		return []Access{{Action: action, Resource: c.arn("logs", "log-group:"+group+":*")}}
	case c.Operation == "DescribeLogGroups":
		return []Access{{Action: action, Resource: c.arn("logs", "log-group:*")}}
	}
	return nil
}

func dynamodbAccess(c *Call) []Access {
	action := "dynamodb:" + c.Operation
	if t := c.Str("TableName"); t != "" {
		return []Access{{Action: action, Resource: c.arn("dynamodb", "table/"+t)}}
	}
	if c.Operation == "ListTables" {
		return []Access{{Action: action, Resource: "*"}}
	}
	return nil
}

func kmsAccess(c *Call) []Access {
	action := "kms:" + c.Operation
	switch c.Operation {
	case "CreateKey", "ListKeys", "ListAliases", "GenerateRandom":
		return []Access{{Action: action, Resource: "*"}}
	}
	key := c.Str("KeyId")
	if key == "" {
		key = c.Str("TargetKeyId")
	}
	switch {
	case key == "":
		return nil
	case isARN(key) && strings.Contains(key, ":key/"):
		return []Access{{Action: action, Resource: key}}
	case strings.HasPrefix(key, "alias/") || strings.Contains(key, ":alias/"):
		return []Access{{Action: action}} // resolved to the key by the KMS handler when it matters
	}
	return []Access{{Action: action, Resource: c.arn("kms", "key/"+key)}}
}
