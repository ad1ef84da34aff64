# Partial S3 backend of staging (created by the account bootstrap, outside this blueprint).
# Replace 222222222222 with the account id. The engine adds key=staging/<stack>/terraform.tfstate.
bucket       = "tf-state-222222222222-ap-southeast-2"
region       = "ap-southeast-2"
encrypt      = true
use_lockfile = true
