data "terraform_remote_state" "net" {
  backend = "s3"
  config  = merge(var.remote_state, { key = "${var.environment}/core/net/terraform.tfstate" })
}

locals {
  net = data.terraform_remote_state.net.outputs.id
}
