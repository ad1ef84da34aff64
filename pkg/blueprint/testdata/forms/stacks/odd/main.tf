# Another file name than terraform.tfstate.
data "terraform_remote_state" "net" {
  backend = "s3"
  config  = merge(var.remote_state, { key = "${var.environment}/net/state.json" })
}
