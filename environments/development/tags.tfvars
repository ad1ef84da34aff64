# Provider defaults and the tags every resource of development carries (provider default_tags).
region = "ap-southeast-2"

tags = {
  Project     = "demo"
  App         = "demo-app"
  Environment = "development"
  Owner       = "platform-team"
  ManagedBy   = "terraform"
}
