# Fixture stack web: remote-state forms people write (see README.md).
terraform {
  backend "s3" {}
}
