# Provider defaults and the tags every resource of development carries (provider default_tags).
region = "ap-southeast-2"
# The account this environment lives in: every provider refuses other credentials (allowed_account_ids).
# Must equal account_id in delivery.yaml (internal/blueprintcheck checks it).
account_id = "111111111111"

tags = {
  Project     = "demo"
  App         = "demo-app"
  Environment = "development"
  Owner       = "platform-team"
  ManagedBy   = "terraform"
}
