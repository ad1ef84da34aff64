region = "ap-southeast-2"
tags = {
  Project     = "delivery"
  App         = "fixture"
  Environment = "it"
  Owner       = "platform"
  ManagedBy   = "terraform"
}
