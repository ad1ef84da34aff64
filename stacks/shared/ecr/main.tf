# One repository per app, and the key that signs its images; the image built once is deployed to ECS
# and EKS from here. The environments this one promotes to (promotion_targets) may pull: their deploy
# role copies the verified digest, with its signatures, into their own registry, and their deploy gate
# verifies it with this key.

data "aws_partition" "current" {}

module "ecr" {
  source = "../../../modules/ecr"

  repositories       = var.ecr_repositories
  keep_tagged_images = var.ecr_keep_tagged_images
  # The deploy role of each target environment, named as stacks/shared/iam names it there.
  pull_principal_arns = [
    for env, account in var.promotion_targets : "arn:${data.aws_partition.current.partition}:iam::${account}:role/${var.project}-${env}-ci-deploy"
  ]
  # The images' signing keys: this environment's deploy role signs what publish pushes; its deploy gate
  # and those of the target environments read the public key (docs/supply-chain.md).
  signing = {
    environment      = var.environment
    signer_role_arns = ["arn:${data.aws_partition.current.partition}:iam::${var.account_id}:role/${var.project}-${var.environment}-ci-deploy"]
    verifier_role_arns = concat(
      ["arn:${data.aws_partition.current.partition}:iam::${var.account_id}:role/${var.project}-${var.environment}-ci-deploy"],
      [for env, account in var.promotion_targets : "arn:${data.aws_partition.current.partition}:iam::${account}:role/${var.project}-${env}-ci-deploy"],
    )
  }
}
