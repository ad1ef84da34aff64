# Fixture stack cache: remote-state forms people write (see README.md).
terraform {
  backend "s3" {}
}
