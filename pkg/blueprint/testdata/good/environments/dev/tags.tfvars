region = "ap-southeast-2"
tags = {
  Project     = "delivery"
  App         = "demo-app"
  Environment = "dev"
  Owner       = "platform"
  ManagedBy   = "terraform"
}
