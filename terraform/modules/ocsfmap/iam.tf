# One role per function, each with only what its function does.

data "aws_iam_policy_document" "lambda_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

# ------------------------------------------------------------------ ingest
resource "aws_iam_role" "ingest" {
  name_prefix        = "${var.name}-ingest-"
  description        = "ocsfmap ingest: write its logs, send to the classify queue, read the API key secret"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json
  tags               = var.tags
}

data "aws_iam_policy_document" "ingest" {
  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.ingest.arn}:*"]
  }
  statement {
    sid       = "Enqueue" # SendMessageBatch is authorised by sqs:SendMessage
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.classify.arn]
  }
  statement {
    sid       = "ApiKey"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [local.api_key_secret_arn]
  }
  dynamic "statement" {
    for_each = local.has_kms_key ? [1] : []
    content {
      sid       = "DecryptSecret"
      actions   = ["kms:Decrypt"]
      resources = [var.secrets_kms_key_arn]
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = [local.secretsmanager_service]
      }
    }
  }
}

resource "aws_iam_role_policy" "ingest" {
  name   = "ingest"
  role   = aws_iam_role.ingest.id
  policy = data.aws_iam_policy_document.ingest.json
}

# ------------------------------------------------------------------ classify
resource "aws_iam_role" "classify" {
  name_prefix        = "${var.name}-classify-"
  description        = "ocsfmap classify: consume the queue, read the published KB, read the ClickHouse secret"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json
  tags               = var.tags
}

data "aws_iam_policy_document" "classify" {
  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.classify.arn}:*"]
  }
  statement {
    sid       = "Consume" # what the SQS event source mapping needs
    actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"]
    resources = [aws_sqs_queue.classify.arn]
  }
  statement {
    sid     = "ReadPublishedKb" # the pointer and the artifacts it names
    actions = ["s3:GetObject"]
    resources = [
      "${aws_s3_bucket.kb.arn}/${var.kb_pointer_key}",
      "${aws_s3_bucket.kb.arn}/${var.kb_versions_prefix}*",
    ]
  }
  # Without ListBucket S3 answers a missing pointer with 403 instead of 404, and classify could
  # not tell "no KB published yet" from a permissions problem. It reveals key names only.
  statement {
    sid       = "MissingKeysAre404"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.kb.arn]
  }
  statement {
    sid       = "ClickHousePassword"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [var.clickhouse_secret_arn]
  }
  dynamic "statement" {
    for_each = local.has_kms_key ? [1] : []
    content {
      sid       = "DecryptSecret"
      actions   = ["kms:Decrypt"]
      resources = [var.secrets_kms_key_arn]
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = [local.secretsmanager_service]
      }
    }
  }
}

resource "aws_iam_role_policy" "classify" {
  name   = "classify"
  role   = aws_iam_role.classify.id
  policy = data.aws_iam_policy_document.classify.json
}

# ------------------------------------------------------------------ kb-rebuild
resource "aws_iam_role" "kb_rebuild" {
  name_prefix        = "${var.name}-kb-rebuild-"
  description        = "ocsfmap kb-rebuild: read KB sources, publish versions and the pointer, read overrides from ClickHouse"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json
  tags               = var.tags
}

data "aws_iam_policy_document" "kb_rebuild" {
  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.kb_rebuild.arn}:*"]
  }
  statement {
    sid       = "ListSourcesAndVersions" # also makes missing keys 404, which the pointer race relies on
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.kb.arn]
  }
  statement {
    sid       = "ReadSources"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.kb.arn}/${var.kb_sources_prefix}*"]
  }
  statement {
    sid       = "PublishVersions" # retention deletes old artifacts
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${aws_s3_bucket.kb.arn}/${var.kb_versions_prefix}*"]
  }
  statement {
    sid       = "MovePointer"
    actions   = ["s3:GetObject", "s3:PutObject"]
    resources = ["${aws_s3_bucket.kb.arn}/${var.kb_pointer_key}"]
  }
  dynamic "statement" {
    for_each = local.review_enabled ? [1] : []
    content {
      sid       = "ConsumeRebuildRequests" # what the SQS event source mapping needs
      actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"]
      resources = [aws_sqs_queue.rebuild[0].arn]
    }
  }
  statement {
    sid       = "ClickHousePassword"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [var.clickhouse_secret_arn]
  }
  dynamic "statement" {
    for_each = local.has_kms_key ? [1] : []
    content {
      sid       = "DecryptSecret"
      actions   = ["kms:Decrypt"]
      resources = [var.secrets_kms_key_arn]
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = [local.secretsmanager_service]
      }
    }
  }
}

resource "aws_iam_role_policy" "kb_rebuild" {
  name   = "kb-rebuild"
  role   = aws_iam_role.kb_rebuild.id
  policy = data.aws_iam_policy_document.kb_rebuild.json
}

# ------------------------------------------------------------------ review
resource "aws_iam_role" "review" {
  count              = local.review_count
  name_prefix        = "${var.name}-review-"
  description        = "ocsfmap review: read the published KB and ClickHouse, request rebuilds, read the ClickHouse and cursor secrets"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json
  tags               = var.tags
}

data "aws_iam_policy_document" "review" {
  count = local.review_count
  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.review[0].arn}:*"]
  }
  statement {
    sid     = "ReadPublishedKb" # the pointer and the artifacts it names; review never writes the KB
    actions = ["s3:GetObject"]
    resources = [
      "${aws_s3_bucket.kb.arn}/${var.kb_pointer_key}",
      "${aws_s3_bucket.kb.arn}/${var.kb_versions_prefix}*",
    ]
  }
  statement {
    sid       = "RequestRebuild"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.rebuild[0].arn]
  }
  statement {
    sid       = "Secrets" # the ClickHouse password and the cursor key
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [var.clickhouse_secret_arn, aws_secretsmanager_secret.review_cursor_key[0].arn]
  }
  dynamic "statement" {
    for_each = local.has_kms_key ? [1] : []
    content {
      sid       = "DecryptSecret"
      actions   = ["kms:Decrypt"]
      resources = [var.secrets_kms_key_arn]
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = [local.secretsmanager_service]
      }
    }
  }
}

resource "aws_iam_role_policy" "review" {
  count  = local.review_count
  name   = "review"
  role   = aws_iam_role.review[0].id
  policy = data.aws_iam_policy_document.review[0].json
}
