# No environment in the key at all.
data "terraform_remote_state" "net" {
  backend = "s3"
  config  = merge(var.remote_state, { key = "net/terraform.tfstate" })
}
