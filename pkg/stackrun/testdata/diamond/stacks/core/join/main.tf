data "terraform_remote_state" "core_left" {
  backend = "s3"
  config  = merge(var.remote_state, { key = "${var.environment}/core/left/terraform.tfstate" })
}

data "terraform_remote_state" "core_right" {
  backend = "s3"
  config  = merge(var.remote_state, { key = "${var.environment}/core/right/terraform.tfstate" })
}

resource "terraform_data" "this" {
  input = {
    path = "(${data.terraform_remote_state.core_left.outputs.path}+${data.terraform_remote_state.core_right.outputs.path})"
    tags = var.tags
  }
}
