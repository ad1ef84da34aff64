# Stand-in of stacks/shared/ecr: the application's image repository.

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
      repository_url  = "123456789012.dkr.ecr.${var.region}.amazonaws.com/demo-app"
      repository_name = "demo-app"
    }
    upstream = {
    }
  }
}
