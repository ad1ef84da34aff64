# Literal key, as the seed writes it: hard-codes the environment.
data "terraform_remote_state" "net" {
  backend = "s3"
  config = {
    bucket = "state"
    region = "ap-southeast-2"
    key    = "staging/net/terraform.tfstate"
  }
}

# The convention.
data "terraform_remote_state" "db" {
  backend = "s3"
  config  = merge(var.remote_state, { key = "${var.environment}/db/terraform.tfstate" })
}
