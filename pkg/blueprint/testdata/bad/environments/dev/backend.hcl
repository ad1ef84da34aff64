bucket = "tf-state-123456789012-ap-southeast-2"
region = "ap-southeast-2"
key    = "dev/terraform.tfstate"
