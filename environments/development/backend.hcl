# Partial S3 backend of development (created by the account bootstrap, outside this blueprint).
# Replace 111111111111 with the account id. The engine adds key=development/<stack>/terraform.tfstate.
bucket       = "tf-state-111111111111-ap-southeast-2"
region       = "ap-southeast-2"
encrypt      = true
use_lockfile = true
