data "terraform_remote_state" "core_join" {
  backend = "s3"
  config  = merge(var.remote_state, { key = "${var.environment}/core/join/terraform.tfstate" })
}

resource "terraform_data" "this" {
  input = {
    path = "${data.terraform_remote_state.core_join.outputs.path}/one"
    tags = var.tags
  }
}
