# Provider defaults and the tags every resource of production carries (provider default_tags).
region = "ap-southeast-2"

tags = {
  Project     = "demo"
  App         = "demo-app"
  Environment = "production"
  Owner       = "platform-team"
  ManagedBy   = "terraform"
}
