# The KB bucket: sources (operators), versions and pointer (kb-rebuild). Layout in
# docs/kb-rebuild.md. Not force-destroyed: operators' sources and the published KBs outlive a
# `terraform destroy` unless the bucket is emptied first.

resource "aws_s3_bucket" "kb" {
  #checkov:skip=CKV_AWS_18:Writers are operators and kb-rebuild only; audit reads and writes with CloudTrail S3 data events or point server access logging at your organisation's log bucket.
  #checkov:skip=CKV_AWS_144:The KB is derived data rebuilt from sources within minutes; cross-region replication is left to deployments that need it.
  #checkov:skip=CKV_AWS_145:SSE-S3 (AES-256) encrypts every object; SSE-KMS would add a KMS call to each pointer check of every classify instance for no access-control gain here.
  bucket_prefix = "${lower(var.name)}-kb-"
  force_destroy = false
  tags          = var.tags
}

resource "aws_s3_bucket_ownership_controls" "kb" {
  bucket = aws_s3_bucket.kb.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "kb" {
  bucket                  = aws_s3_bucket.kb.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_server_side_encryption_configuration" "kb" {
  bucket = aws_s3_bucket.kb.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_versioning" "kb" {
  bucket = aws_s3_bucket.kb.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "kb" {
  bucket = aws_s3_bucket.kb.id

  # kb-rebuild deletes old artifacts (KB_KEEP_VERSIONS); versioning keeps them, and overwritten
  # sources, for this long so a mistake can be undone.
  rule {
    id     = "expire-noncurrent-versions"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days = 30
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.kb]
}

data "aws_iam_policy_document" "kb_tls_only" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.kb.arn, "${aws_s3_bucket.kb.arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "kb" {
  bucket     = aws_s3_bucket.kb.id
  policy     = data.aws_iam_policy_document.kb_tls_only.json
  depends_on = [aws_s3_bucket_public_access_block.kb]
}

# S3 events go to EventBridge, where a rule filters on the sources prefix (events.tf):
# kb-rebuild takes both the S3-notification and the EventBridge event shapes
# (events/kb-rebuild/), and EventBridge gives prefix filtering with no bucket -> function link.
resource "aws_s3_bucket_notification" "kb" {
  bucket      = aws_s3_bucket.kb.id
  eventbridge = true
}
