data "terraform_remote_state" "x" {
  backend = "s3"
  config  = merge(var.remote_state, { key = "${var.environment}/loop/x/terraform.tfstate" })
}
