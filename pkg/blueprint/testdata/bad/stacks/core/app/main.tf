data "terraform_remote_state" "net" {
  backend = "s3"
  config  = merge(var.remote_state, { key = "staging/core/net/terraform.tfstate" })
}

data "terraform_remote_state" "ghost" {
  backend = "s3"
  config  = merge(var.remote_state, { key = "${var.environment}/core/ghost/terraform.tfstate" })
}

data "terraform_remote_state" "raw" {
  backend = "s3"
  config  = { bucket = "b", key = "${var.environment}/core/net/terraform.tfstate" }
}

data "terraform_remote_state" "local" {
  backend = "local"
  config  = { path = "x.tfstate" }
}

data "terraform_remote_state" "odd" {
  backend = "s3"
  config  = merge(var.remote_state, { key = "${var.environment}/core/net/state.json" })
}
