data "terraform_remote_state" "ghost" {
  backend = "s3"
  config  = merge(var.remote_state, { key = "${var.environment}/ghost/terraform.tfstate" })
}
