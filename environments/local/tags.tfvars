region = "ap-southeast-2"

tags = {
  Project     = "delivery"
  App         = "demo-app"
  Environment = "local"
  Owner       = "platform-team"
  ManagedBy   = "terraform"
}
