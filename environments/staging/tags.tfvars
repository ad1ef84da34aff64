# Provider defaults and the tags every resource of staging carries (provider default_tags).
region = "ap-southeast-2"

tags = {
  Project     = "demo"
  App         = "demo-app"
  Environment = "staging"
  Owner       = "platform-team"
  ManagedBy   = "terraform"
}
