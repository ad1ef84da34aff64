terraform {
  required_version = ">= 1.6"

  # Partial: completed by environments/<env>/backend.hcl and key=<env>/<stack>/terraform.tfstate.
  backend "s3" {}
}
