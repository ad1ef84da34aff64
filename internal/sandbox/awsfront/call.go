package awsfront

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/platformteam/delivery/internal/sandbox/awsfront/credentials"
	"github.com/platformteam/delivery/internal/sandbox/awsfront/sigv4"
)

// Protocol is an AWS wire protocol; it decides how errors are written.
type Protocol string

// The protocols the twin's clients use.
const (
	ProtocolJSON     Protocol = "json"      // X-Amz-Target, awsJson1.0/1.1 (ECS, ECR, KMS, SSM, Logs, DynamoDB)
	ProtocolQuery    Protocol = "query"     // Action=... form (STS, IAM, EC2, ELBv2, CloudWatch)
	ProtocolRESTJSON Protocol = "rest-json" // path routes with JSON bodies (EKS)
	ProtocolRESTXML  Protocol = "rest-xml"  // S3
)

// Call is one AWS request as the front understands it.
type Call struct {
	Service   string // signing name: ecs, sts, s3, ...
	Operation string // API operation: UpdateService, GetObject, ...
	Protocol  Protocol
	Region    string
	Body      []byte
	// Form holds the parameters of a query-protocol call (body and URL query merged).
	Form url.Values
	// Auth is the request's signature information (zero for unsigned calls).
	Auth sigv4.Auth
	// Caller is the authenticated credential (zero for unsigned calls, e.g. AssumeRoleWithWebIdentity).
	Caller credentials.Credential
	// Account is the account the call acts in: the caller's, or the resource owner's for a
	// cross-account call the front routes there. The backend call is signed as this account's admin.
	Account string

	json map[string]any // decoded JSON body, lazily
}

// Mutating reports whether the call can change anything: everything but reads (Describe*, List*,
// Get*, Head*, BatchGet*, BatchCheck*, Scan, Query, Search*, Lookup*), credential calls (sts:*,
// ecr:GetAuthorizationToken) and signing (kms:Sign, kms:Verify).
func (c *Call) Mutating() bool {
	switch c.Service {
	case "sts":
		return false
	case "ecr":
		if c.Operation == "GetAuthorizationToken" {
			return false
		}
	case "kms":
		if c.Operation == "Sign" || c.Operation == "Verify" {
			return false
		}
	}
	for _, prefix := range []string{"Describe", "List", "Get", "Head", "BatchGet", "BatchCheck", "Scan", "Query", "Search", "Lookup"} {
		if strings.HasPrefix(c.Operation, prefix) {
			return false
		}
	}
	return true
}

// JSON returns the decoded JSON body (empty map when it is not JSON).
func (c *Call) JSON() map[string]any {
	if c.json == nil {
		c.json = map[string]any{}
		_ = json.Unmarshal(c.Body, &c.json)
	}
	return c.json
}

// Str reads a string parameter: from the JSON body for JSON protocols, else from the form.
func (c *Call) Str(name string) string {
	if c.Protocol == ProtocolJSON || c.Protocol == ProtocolRESTJSON {
		s, _ := c.JSON()[name].(string)
		return s
	}
	return c.Form.Get(name)
}

// Strs reads a list-of-strings parameter (JSON protocols; for the query protocol Name.member.N).
func (c *Call) Strs(name string) []string {
	if c.Protocol == ProtocolJSON || c.Protocol == ProtocolRESTJSON {
		list, _ := c.JSON()[name].([]any)
		var out []string
		for _, v := range list {
			if s, ok := v.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	var out []string
	for i := 1; ; i++ {
		v := c.Form.Get(name + ".member." + strconv.Itoa(i))
		if v == "" {
			return out
		}
		out = append(out, v)
	}
}

// jsonTargets maps an X-Amz-Target prefix to its signing name.
var jsonTargets = map[string]string{
	"AmazonEC2ContainerServiceV20141113":   "ecs",
	"AmazonEC2ContainerRegistry_V20150921": "ecr",
	"TrentService":                         "kms",
	"AmazonSSM":                            "ssm",
	"Logs_20140328":                        "logs",
	"DynamoDB_20120810":                    "dynamodb",
	"CodeBuild_20161006":                   "codebuild",
	"secretsmanager":                       "secretsmanager",
	"AWSSecurityTokenServiceV20110615":     "sts",
	"GraniteServiceVersion20100801":        "monitoring",
	"AmazonEventBridge":                    "events",
}

// identify works out the service, operation and protocol of r (whose body is body).
func identify(r *http.Request, body []byte, defaultRegion string) *Call {
	c := &Call{Body: body, Region: defaultRegion}
	if a, err := sigv4.Parse(r); err == nil {
		c.Auth = a
		c.Service, c.Region = a.Service, a.Region
	}
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		prefix, op, _ := strings.Cut(target, ".")
		c.Protocol, c.Operation = ProtocolJSON, op
		if svc, ok := jsonTargets[prefix]; ok && c.Service == "" {
			c.Service = svc
		}
		return c
	}
	// smithy rpc-v2: /service/<Service>/operation/<Operation>
	if rest, ok := strings.CutPrefix(r.URL.Path, "/service/"); ok {
		svc, op, _ := strings.Cut(rest, "/operation/")
		c.Protocol, c.Operation = ProtocolJSON, op
		if s, ok := jsonTargets[svc]; ok && c.Service == "" {
			c.Service = s
		}
		return c
	}
	ct := r.Header.Get("Content-Type")
	if r.URL.Query().Get("Action") != "" || strings.HasPrefix(ct, "application/x-www-form-urlencoded") && c.Service != "s3" {
		form, _ := url.ParseQuery(string(body))
		for k, vs := range r.URL.Query() {
			for _, v := range vs {
				form.Add(k, v)
			}
		}
		if action := form.Get("Action"); action != "" {
			c.Protocol, c.Form, c.Operation = ProtocolQuery, form, action
			if c.Service == "" && strings.HasPrefix(action, "AssumeRoleWith") {
				c.Service = "sts"
			}
			return c
		}
	}
	switch c.Service {
	case "s3":
		c.Protocol = ProtocolRESTXML
		c.Operation = s3Operation(r)
	case "eks":
		c.Protocol = ProtocolRESTJSON
		c.Operation = eksOperation(r.Method, r.URL.EscapedPath())
	default:
		c.Protocol = ProtocolRESTJSON
		c.Operation = r.Method + " " + r.URL.Path
	}
	return c
}

// eksOperation names the EKS REST operation of a method and escaped path (a principal ARN in the path
// is one escaped segment).
func eksOperation(method, path string) string {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	if len(parts) == 1 && parts[0] == "access-policies" && method == http.MethodGet {
		return "ListAccessPolicies"
	}
	if len(parts) == 0 || parts[0] != "clusters" {
		return method + " " + path
	}
	switch {
	case len(parts) == 1 && method == http.MethodGet:
		return "ListClusters"
	case len(parts) == 1 && method == http.MethodPost:
		return "CreateCluster"
	case len(parts) == 2 && method == http.MethodGet:
		return "DescribeCluster"
	case len(parts) == 2 && method == http.MethodDelete:
		return "DeleteCluster"
	case len(parts) == 3 && parts[2] == "update-config":
		return "UpdateClusterConfig"
	case len(parts) == 3 && parts[2] == "access-entries" && method == http.MethodPost:
		return "CreateAccessEntry"
	case len(parts) == 3 && parts[2] == "access-entries" && method == http.MethodGet:
		return "ListAccessEntries"
	case len(parts) == 4 && parts[2] == "access-entries" && method == http.MethodGet:
		return "DescribeAccessEntry"
	case len(parts) == 4 && parts[2] == "access-entries" && method == http.MethodDelete:
		return "DeleteAccessEntry"
	case len(parts) == 4 && parts[2] == "access-entries" && method == http.MethodPost:
		return "UpdateAccessEntry"
	case len(parts) == 5 && parts[4] == "access-policies" && method == http.MethodPost:
		return "AssociateAccessPolicy"
	case len(parts) == 5 && parts[4] == "access-policies" && method == http.MethodGet:
		return "ListAssociatedAccessPolicies"
	case len(parts) == 6 && parts[4] == "access-policies" && method == http.MethodDelete:
		return "DisassociateAccessPolicy"
	case len(parts) >= 3 && parts[2] == "node-groups":
		return map[string]string{http.MethodGet: "ListNodegroups", http.MethodPost: "CreateNodegroup"}[method]
	}
	return method + " " + path
}

// s3Subresources maps a bucket subresource to its operation suffix (GetBucketVersioning, ...).
var s3Subresources = []struct{ query, get, put, del string }{
	{"versioning", "GetBucketVersioning", "PutBucketVersioning", ""},
	{"encryption", "GetBucketEncryption", "PutBucketEncryption", "DeleteBucketEncryption"},
	{"publicAccessBlock", "GetPublicAccessBlock", "PutPublicAccessBlock", "DeletePublicAccessBlock"},
	{"policy", "GetBucketPolicy", "PutBucketPolicy", "DeleteBucketPolicy"},
	{"tagging", "GetBucketTagging", "PutBucketTagging", "DeleteBucketTagging"},
	{"lifecycle", "GetBucketLifecycleConfiguration", "PutBucketLifecycleConfiguration", "DeleteBucketLifecycle"},
	{"acl", "GetBucketAcl", "PutBucketAcl", ""},
	{"ownershipControls", "GetBucketOwnershipControls", "PutBucketOwnershipControls", "DeleteBucketOwnershipControls"},
	{"location", "GetBucketLocation", "", ""},
	{"logging", "GetBucketLogging", "PutBucketLogging", ""},
	{"cors", "GetBucketCors", "PutBucketCors", "DeleteBucketCors"},
	{"website", "GetBucketWebsite", "PutBucketWebsite", "DeleteBucketWebsite"},
	{"replication", "GetBucketReplication", "PutBucketReplication", "DeleteBucketReplication"},
	{"object-lock", "GetObjectLockConfiguration", "PutObjectLockConfiguration", ""},
	{"notification", "GetBucketNotificationConfiguration", "PutBucketNotificationConfiguration", ""},
	{"accelerate", "GetBucketAccelerateConfiguration", "PutBucketAccelerateConfiguration", ""},
	{"requestPayment", "GetBucketRequestPayment", "PutBucketRequestPayment", ""},
	{"versions", "ListObjectVersions", "", ""},
	{"uploads", "ListMultipartUploads", "", ""},
}

// s3Operation names the S3 operation of a path-style request.
func s3Operation(r *http.Request) string {
	bucket, key := s3BucketKey(r)
	q := r.URL.Query()
	switch {
	case bucket == "":
		return "ListBuckets"
	case key == "":
		for _, s := range s3Subresources {
			if _, ok := q[s.query]; ok {
				switch r.Method {
				case http.MethodGet:
					return s.get
				case http.MethodPut:
					return s.put
				case http.MethodDelete:
					return s.del
				}
			}
		}
		switch r.Method {
		case http.MethodGet:
			if q.Get("list-type") == "2" {
				return "ListObjectsV2"
			}
			return "ListObjects"
		case http.MethodHead:
			return "HeadBucket"
		case http.MethodPut:
			return "CreateBucket"
		case http.MethodDelete:
			return "DeleteBucket"
		case http.MethodPost:
			if _, ok := q["delete"]; ok {
				return "DeleteObjects"
			}
		}
		return r.Method + "Bucket"
	}
	_, uploads := q["uploads"]
	_, tagging := q["tagging"]
	_, acl := q["acl"]
	uploadID := q.Get("uploadId")
	switch r.Method {
	case http.MethodGet:
		switch {
		case tagging:
			return "GetObjectTagging"
		case acl:
			return "GetObjectAcl"
		case uploadID != "":
			return "ListParts"
		}
		return "GetObject"
	case http.MethodHead:
		return "HeadObject"
	case http.MethodPut:
		switch {
		case tagging:
			return "PutObjectTagging"
		case acl:
			return "PutObjectAcl"
		case uploadID != "":
			return "UploadPart"
		case r.Header.Get("X-Amz-Copy-Source") != "":
			return "CopyObject"
		}
		return "PutObject"
	case http.MethodPost:
		if uploads {
			return "CreateMultipartUpload"
		}
		if uploadID != "" {
			return "CompleteMultipartUpload"
		}
	case http.MethodDelete:
		if uploadID != "" {
			return "AbortMultipartUpload"
		}
		if tagging {
			return "DeleteObjectTagging"
		}
		return "DeleteObject"
	}
	return r.Method + "Object"
}

// s3BucketKey splits a path-style S3 path into bucket and key (unescaped).
func s3BucketKey(r *http.Request) (bucket, key string) {
	p := strings.TrimPrefix(r.URL.Path, "/")
	bucket, key, _ = strings.Cut(p, "/")
	return bucket, key
}
