data "terraform_remote_state" "app_one" {
  backend = "s3"
  config  = merge(var.remote_state, { key = "${var.environment}/app/one/terraform.tfstate" })
}

resource "terraform_data" "this" {
  input = {
    path = "${data.terraform_remote_state.app_one.outputs.path}/two"
    tags = var.tags
  }
}
