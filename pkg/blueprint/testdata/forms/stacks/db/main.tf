# A plain config object with the environment variable in the key: closes the cycle app -> db -> app.
data "terraform_remote_state" "app" {
  backend = "s3"
  config = {
    bucket = "state"
    key    = "${var.environment}/app/terraform.tfstate"
  }
}
