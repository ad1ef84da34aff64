# Stand-in of stacks/shared/ecr: the image repositories.

locals {
  suffix = substr(sha256("${var.environment}/shared/ecr"), 0, 8)
}

# The stand-in "resource": its input is what the real stack would create, and it changes whenever an
# upstream output it reads changes, as a real dependent resource would.
resource "terraform_data" "this" {
  input = {
    stack = "shared/ecr"
    tags  = var.tags
    values = {
      repository_urls = ["repository_urls-${local.suffix}-1", "repository_urls-${local.suffix}-2"]
      repository_arns = ["repository_arns-${local.suffix}-1", "repository_arns-${local.suffix}-2"]
      registry_id     = "registry_id-${local.suffix}"
      kms_key_arn     = "kms_key_arn-${local.suffix}"
      # The image signing keys (the sandbox seeds the real ones in each twin account).
      signing_key_arns    = ["signing_key_arns-${local.suffix}-1"]
      signing_key_aliases = ["signing_key_aliases-${local.suffix}-1"]
    }
    upstream = {
    }
  }
}
