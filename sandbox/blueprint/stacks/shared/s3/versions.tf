terraform {
  required_version = ">= 1.10, < 2.0"

  # Partial: completed by environments/<env>/backend.hcl and key=<env>/<stack>/terraform.tfstate.
  backend "s3" {}
}
