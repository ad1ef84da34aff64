# The ECS runtime: a Fargate cluster named by stacks/shared/iam (the CI deploy role is scoped to it).

data "terraform_remote_state" "iam" {
  backend = "s3"
  config  = merge(var.remote_state, { key = "${var.environment}/shared/iam/terraform.tfstate" })
}

locals {
  cluster_name = data.terraform_remote_state.iam.outputs.ecs_cluster_name
}

resource "aws_cloudwatch_log_group" "exec" {
  name              = "/ecs/${local.cluster_name}/exec"
  retention_in_days = 365
}

resource "aws_ecs_cluster" "this" {
  name = local.cluster_name

  setting {
    name  = "containerInsights"
    value = var.ecs_container_insights
  }

  # ECS Exec sessions are audited to CloudWatch Logs.
  configuration {
    execute_command_configuration {
      logging = "OVERRIDE"

      log_configuration {
        cloud_watch_log_group_name = aws_cloudwatch_log_group.exec.name
      }
    }
  }
}

resource "aws_ecs_cluster_capacity_providers" "this" {
  cluster_name       = aws_ecs_cluster.this.name
  capacity_providers = ["FARGATE", "FARGATE_SPOT"]

  default_capacity_provider_strategy {
    capacity_provider = "FARGATE"
    weight            = 1
    base              = 1
  }
}
