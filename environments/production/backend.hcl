# Partial S3 backend of production (created by the account bootstrap, outside this blueprint).
# Replace 333333333333 with the account id. The engine adds key=production/<stack>/terraform.tfstate.
bucket       = "tf-state-333333333333-ap-southeast-2"
region       = "ap-southeast-2"
encrypt      = true
use_lockfile = true
