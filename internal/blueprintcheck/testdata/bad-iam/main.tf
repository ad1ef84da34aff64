# Fixture: policies the IAM check must flag (admin, not_action, dynamic_admin, jsonencode, heredoc,
# managed admin) and must accept (deny_all, kms_key, scoped).

data "aws_iam_policy_document" "admin" {
  statement {
    actions   = ["*"]
    resources = ["*"]
  }
}

data "aws_iam_policy_document" "not_action" {
  statement {
    not_actions = ["iam:*"]
    resources   = ["*"]
  }
}

data "aws_iam_policy_document" "dynamic_admin" {
  dynamic "statement" {
    for_each = [1]
    content {
      actions   = ["*"]
      resources = ["*"]
    }
  }
}

data "aws_iam_policy_document" "deny_all" {
  statement {
    effect    = "Deny"
    actions   = ["*"]
    resources = ["*"]
  }
}

data "aws_iam_policy_document" "kms_key" {
  statement {
    actions   = ["kms:*"]
    resources = ["*"]
  }
}

data "aws_iam_policy_document" "scoped" {
  statement {
    actions   = ["*"]
    resources = ["arn:aws:s3:::one-bucket/*"]
  }
}

resource "aws_iam_role_policy" "inline" {
  role = "r"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = "*"
      Resource = "*"
    }]
  })
}

resource "aws_iam_policy" "heredoc" {
  name   = "p"
  policy = <<-JSON
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["*"], "Resource": "*"}]}
  JSON
}

resource "aws_iam_role_policy_attachment" "admin" {
  role       = "r"
  policy_arn = "arn:${var.partition}:iam::aws:policy/AdministratorAccess"
}
