terraform {
  required_version = ">= 1.10, < 2.0"

  # Completed by -backend-config=environments/<env>/backend.hcl; the engine sets key=<env>/<stack>/terraform.tfstate.
  backend "s3" {}

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.21"
    }
  }
}
