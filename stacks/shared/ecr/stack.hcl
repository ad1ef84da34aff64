# ECR reads nothing from DNS. The foundation still applies in the blueprint's fixed order
# (VPC → DNS → ECR → IAM → data stores, S3, parameters), so every environment's first apply and every
# review of a foundation change follow the same, documented sequence.
depends_on = ["shared/dns"]
