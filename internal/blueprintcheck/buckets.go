package blueprintcheck

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// CheckBuckets requires, for every aws_s3_bucket resource, companion resources in the same directory
// that reference it: SSE-KMS with a customer managed key (a key ARN or reference, not the aws/s3
// alias), versioning Enabled, all four Block Public Access settings true, and BucketOwnerEnforced.
func CheckBuckets(dirs []*Dir) []Problem {
	var out []Problem
	for _, d := range dirs {
		for _, b := range d.Blocks("resource", "aws_s3_bucket") {
			name := b.Labels[1]
			at := Problem{File: b.Range().Filename, Line: line(b.Range())}
			report := func(msg string) {
				p := at
				p.Message = fmt.Sprintf("aws_s3_bucket.%s: %s", name, msg)
				out = append(out, p)
			}
			companions := func(typ string) []*hclsyntax.Block {
				var found []*hclsyntax.Block
				for _, c := range d.Blocks("resource", typ) {
					if attr, ok := c.Body.Attributes["bucket"]; ok && refersTo(attr.Expr, "aws_s3_bucket", name) {
						found = append(found, c)
					}
				}
				return found
			}

			if enc := companions("aws_s3_bucket_server_side_encryption_configuration"); len(enc) == 0 {
				report("no aws_s3_bucket_server_side_encryption_configuration")
			} else if msg := checkSSEKMS(enc[0]); msg != "" {
				report(msg)
			}

			if ver := companions("aws_s3_bucket_versioning"); len(ver) == 0 {
				report("no aws_s3_bucket_versioning")
			} else if !blockAttrEquals(ver[0].Body, "versioning_configuration", "status", "Enabled") {
				report("versioning is not Enabled")
			}

			if pab := companions("aws_s3_bucket_public_access_block"); len(pab) == 0 {
				report("no aws_s3_bucket_public_access_block")
			} else {
				for _, k := range []string{"block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"} {
					attr, ok := pab[0].Body.Attributes[k]
					v, static := cty.NilVal, false
					if ok {
						v, static = staticValue(attr.Expr)
					}
					if !static || v.Type() != cty.Bool || !v.True() {
						report("public access block does not set " + k + " = true")
					}
				}
			}

			if own := companions("aws_s3_bucket_ownership_controls"); len(own) == 0 {
				report("no aws_s3_bucket_ownership_controls (ACLs must be disabled)")
			} else if !blockAttrEquals(own[0].Body, "rule", "object_ownership", "BucketOwnerEnforced") {
				report("object ownership is not BucketOwnerEnforced")
			}
		}
	}
	return out
}

func checkSSEKMS(enc *hclsyntax.Block) string {
	for _, rule := range enc.Body.Blocks {
		if rule.Type != "rule" {
			continue
		}
		for _, def := range rule.Body.Blocks {
			if def.Type != "apply_server_side_encryption_by_default" {
				continue
			}
			algo, ok := def.Body.Attributes["sse_algorithm"]
			if !ok {
				return "encryption has no sse_algorithm"
			}
			if v, ok := staticValue(algo.Expr); !ok || v.Type() != cty.String || (v.AsString() != "aws:kms" && v.AsString() != "aws:kms:dsse") {
				return "encryption is not SSE-KMS (sse_algorithm must be aws:kms)"
			}
			key, ok := def.Body.Attributes["kms_master_key_id"]
			if !ok {
				return "SSE-KMS without kms_master_key_id uses the AWS managed key, not a customer managed key"
			}
			if v, ok := staticValue(key.Expr); ok {
				if v.IsNull() || v.Type() != cty.String || v.AsString() == "" || strings.Contains(v.AsString(), "alias/aws/") {
					return "kms_master_key_id must name a customer managed key"
				}
			}
			return ""
		}
	}
	return "encryption configuration has no default rule"
}

func blockAttrEquals(body *hclsyntax.Body, block, attr, want string) bool {
	for _, b := range body.Blocks {
		if b.Type != block {
			continue
		}
		if a, ok := b.Body.Attributes[attr]; ok {
			if v, ok := staticValue(a.Expr); ok && v.Type() == cty.String && v.AsString() == want {
				return true
			}
		}
	}
	return false
}
