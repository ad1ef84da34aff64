# Provider defaults and the tags every resource of staging carries (provider default_tags).
region = "ap-southeast-2"
# The account this environment lives in: every provider refuses other credentials (allowed_account_ids).
# Must equal account_id in delivery.yaml (internal/blueprintcheck checks it).
account_id = "222222222222"

tags = {
  Project     = "demo"
  App         = "demo-app"
  Environment = "staging"
  Owner       = "platform-team"
  ManagedBy   = "terraform"
}
