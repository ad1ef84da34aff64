# Fixture: buckets the bucket check must flag (plain, aes, managed_key) and accept (good).

resource "aws_s3_bucket" "plain" {
  bucket = "plain"
}

resource "aws_s3_bucket" "aes" {
  bucket = "aes"
}

resource "aws_s3_bucket_server_side_encryption_configuration" "aes" {
  bucket = aws_s3_bucket.aes.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_versioning" "aes" {
  bucket = aws_s3_bucket.aes.id
  versioning_configuration {
    status = "Suspended"
  }
}

resource "aws_s3_bucket_public_access_block" "aes" {
  bucket                  = aws_s3_bucket.aes.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = false
}

resource "aws_s3_bucket_ownership_controls" "aes" {
  bucket = aws_s3_bucket.aes.id
  rule {
    object_ownership = "ObjectWriter"
  }
}

resource "aws_s3_bucket" "managed_key" {
  bucket = "managed-key"
}

resource "aws_s3_bucket_server_side_encryption_configuration" "managed_key" {
  bucket = aws_s3_bucket.managed_key.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "aws:kms"
    }
  }
}

resource "aws_s3_bucket_versioning" "managed_key" {
  bucket = aws_s3_bucket.managed_key.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_public_access_block" "managed_key" {
  bucket                  = aws_s3_bucket.managed_key.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "managed_key" {
  bucket = aws_s3_bucket.managed_key.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_kms_key" "good" {
  enable_key_rotation = true
}

resource "aws_s3_bucket" "good" {
  bucket = "good"
}

resource "aws_s3_bucket_server_side_encryption_configuration" "good" {
  bucket = aws_s3_bucket.good.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.good.arn
    }
  }
}

resource "aws_s3_bucket_versioning" "good" {
  bucket = aws_s3_bucket.good.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_public_access_block" "good" {
  bucket                  = aws_s3_bucket.good.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "good" {
  bucket = aws_s3_bucket.good.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}
