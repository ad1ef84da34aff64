# The key is built in locals, with format().
locals {
  upstream = "loop/y"
  key      = format("%s/%s/terraform.tfstate", var.environment, local.upstream)
}

data "terraform_remote_state" "y" {
  backend = "s3"
  config  = merge(var.remote_state, { key = local.key })
}
