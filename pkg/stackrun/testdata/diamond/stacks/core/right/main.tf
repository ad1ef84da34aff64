data "terraform_remote_state" "core_net" {
  backend = "s3"
  config  = merge(var.remote_state, { key = "${var.environment}/core/net/terraform.tfstate" })
}

module "label" {
  source = "../../../modules/label"
  name   = "right"
}

resource "terraform_data" "this" {
  input = {
    path = "${data.terraform_remote_state.core_net.outputs.path}/${module.label.label}"
    tags = var.tags
  }
}
