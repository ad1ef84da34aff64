# One repository per app; the image built once is deployed to ECS and EKS from here. The environments
# this one promotes to (promotion_targets) may pull: their deploy role copies the verified digest into
# their own registry (issue: build once, promote by digest).

data "aws_partition" "current" {}

module "ecr" {
  source = "../../../modules/ecr"

  repositories       = var.ecr_repositories
  keep_tagged_images = var.ecr_keep_tagged_images
  # The deploy role of each target environment, named as stacks/shared/iam names it there.
  pull_principal_arns = [
    for env, account in var.promotion_targets : "arn:${data.aws_partition.current.partition}:iam::${account}:role/${var.project}-${env}-ci-deploy"
  ]
}
