# The data stores read only the VPC, but follow IAM in the blueprint's fixed foundation order
# (VPC → DNS → ECR → IAM → data stores, S3, parameters).
depends_on = ["shared/iam"]
