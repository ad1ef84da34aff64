provider "aws" {
  region = "ap-southeast-2"
}

terraform {
  backend "s3" {}
}

data "terraform_remote_state" "net" {
  backend = "s3"
  config  = merge(var.remote_state, { key = "${var.environment}/core/net/terraform.tfstate" })
}
