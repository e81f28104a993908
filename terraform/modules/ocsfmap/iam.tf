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
  dynamic "statement" {
    for_each = var.ocsf_output_version == "" ? [] : [1]
    content {
      sid       = "ReadOutputVersionExport" # OCSF_OUTPUT_VERSION's schema export, read at init
      actions   = ["s3:GetObject"]
      resources = ["${aws_s3_bucket.kb.arn}/ocsf/exports/${var.ocsf_output_version}.json"]
    }
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

# ------------------------------------------------------------------ lake-export
resource "aws_iam_role" "lake_export" {
  count              = local.lake_count
  name_prefix        = "${var.name}-lake-export-"
  description        = "ocsfmap lake-export: read ClickHouse and the OCSF export, write the Security Lake custom sources (directly or through their role)"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json
  tags               = var.tags
}

data "aws_iam_policy_document" "lake_export" {
  count = local.lake_count
  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.lake_export[0].arn}:*"]
  }
  statement {
    sid       = "ReadOutputVersionExport" # the one export the function reads (the lake files' columns), at init
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.kb.arn}/${local.lake_export_key}"]
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
  # Through the custom source's role: that role alone (Security Lake scoped it to the source's
  # location and trusts the external ID); nothing on the bucket or its key here.
  dynamic "statement" {
    for_each = local.lake_via_role ? [1] : []
    content {
      sid       = "AssumeLakeRole"
      actions   = ["sts:AssumeRole"]
      resources = [var.lake_role_arn]
    }
  }
  # Directly: files under [prefix/]ext/ (the custom sources' locations) and nothing else of the
  # bucket. Delete: a re-run of an interval replaces the files it wrote. No GetObject or
  # ListBucket: lake-export keeps its ledger in ClickHouse, never reads the lake.
  dynamic "statement" {
    for_each = local.lake_via_role ? [] : [1]
    content {
      sid       = "WriteLake"
      actions   = ["s3:PutObject", "s3:DeleteObject"]
      resources = [local.lake_write_arn]
    }
  }
  # SSE-KMS puts: a data key per object (Decrypt only matters to multipart uploads), for S3
  # requests on this bucket alone (the encryption context is the object's ARN, or the bucket's
  # with an S3 Bucket Key).
  dynamic "statement" {
    for_each = !local.lake_via_role && var.lake_kms_key_arn != "" ? [1] : []
    content {
      sid       = "LakeKey"
      actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
      resources = [var.lake_kms_key_arn]
      condition {
        test     = "StringLike"
        variable = "kms:EncryptionContext:aws:s3:arn"
        values   = [local.lake_bucket_arn, local.lake_write_arn]
      }
    }
  }
}

resource "aws_iam_role_policy" "lake_export" {
  count  = local.lake_count
  name   = "lake-export"
  role   = aws_iam_role.lake_export[0].id
  policy = data.aws_iam_policy_document.lake_export[0].json
}
