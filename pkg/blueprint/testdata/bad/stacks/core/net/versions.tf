terraform {
  backend "s3" {
    bucket = "hard-coded"
  }
}
