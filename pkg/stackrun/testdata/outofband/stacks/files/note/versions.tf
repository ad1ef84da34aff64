terraform {
  required_version = ">= 1.10, < 2.0"

  required_providers {
    local = {
      source  = "hashicorp/local"
      version = "~> 1.4"
    }
  }

  backend "s3" {}
}
