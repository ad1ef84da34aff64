region = "ap-southeast-2"
tags = {
  Project     = "delivery"
  App         = "demo-app"
  Environment = "dev"
  ManagedBy   = "terraform"
}
