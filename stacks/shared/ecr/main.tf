# One repository per app; the image built once is deployed to ECS and EKS from here.

module "ecr" {
  source = "../../../modules/ecr"

  repositories       = var.ecr_repositories
  keep_tagged_images = var.ecr_keep_tagged_images
}
