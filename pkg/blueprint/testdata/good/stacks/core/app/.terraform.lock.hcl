# Fixture: a dependency lock file as `terraform providers lock` writes it (hashes shortened).
provider "hashicorp/aws" {
  version     = "5.100.0"
  constraints = "~> 5.0"
  hashes = [
    "h1:fixture0000000000000000000000000000000000000=",
  ]
}
