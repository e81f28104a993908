# The three functions (arm64, provided.al2023, handler "bootstrap" as cargo-lambda packages
# them) and their log groups.

resource "aws_cloudwatch_log_group" "ingest" {
  #checkov:skip=CKV_AWS_158:CloudWatch Logs encrypts at rest by default; the functions never log record contents, keys or passwords (docs/ingest.md "Logs").
  #checkov:skip=CKV_AWS_338:Retention is the log_retention_days variable (default 30 days, operational logs only); raise it where policy requires a year.
  name              = "/aws/lambda/${var.name}-ingest"
  retention_in_days = var.log_retention_days
  tags              = var.tags
}

resource "aws_cloudwatch_log_group" "classify" {
  #checkov:skip=CKV_AWS_158:CloudWatch Logs encrypts at rest by default; the functions never log record contents, keys or passwords (docs/ingest.md "Logs").
  #checkov:skip=CKV_AWS_338:Retention is the log_retention_days variable (default 30 days, operational logs only); raise it where policy requires a year.
  name              = "/aws/lambda/${var.name}-classify"
  retention_in_days = var.log_retention_days
  tags              = var.tags
}

resource "aws_cloudwatch_log_group" "kb_rebuild" {
  #checkov:skip=CKV_AWS_158:CloudWatch Logs encrypts at rest by default; the functions never log record contents, keys or passwords (docs/ingest.md "Logs").
  #checkov:skip=CKV_AWS_338:Retention is the log_retention_days variable (default 30 days, operational logs only); raise it where policy requires a year.
  name              = "/aws/lambda/${var.name}-kb-rebuild"
  retention_in_days = var.log_retention_days
  tags              = var.tags
}

# ------------------------------------------------------------------ ingest
resource "aws_lambda_function" "ingest" {
  #checkov:skip=CKV_AWS_116:Invoked synchronously by the HTTP API; an async-invocation DLQ never receives anything.
  #checkov:skip=CKV_AWS_117:Reaches SQS and Secrets Manager only; a VPC would add NAT or endpoint cost without isolating anything here.
  #checkov:skip=CKV_AWS_173:Environment variables hold no secrets (the key is read from Secrets Manager at init), so the default encryption suffices.
  #checkov:skip=CKV_AWS_115:Bounded by the API stage throttle; a reservation would fail in accounts at the default concurrency quota.
  #checkov:skip=CKV_AWS_50:The function emits no X-Ray segments; every log line carries the request id and the API access log its latency.
  #checkov:skip=CKV_AWS_272:Built and deployed from source by the operator's own pipeline; code signing can be layered on with a signing profile.
  function_name    = "${var.name}-ingest"
  description      = "ocsfmap ingest: POST /v1/logs -> validated envelopes on the classify queue"
  role             = aws_iam_role.ingest.arn
  filename         = var.ingest_zip
  source_code_hash = filebase64sha256(var.ingest_zip)
  handler          = "bootstrap"
  runtime          = "provided.al2023"
  architectures    = ["arm64"]
  memory_size      = 512 # a 64 MB decompressed body is held once, plus its messages
  timeout          = 30  # the HTTP API's integration limit; the SDK gives up on SQS within 10 s

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.ingest.name
  }

  environment {
    variables = {
      QUEUE_URL          = aws_sqs_queue.classify.id
      API_KEY_SECRET_ARN = local.api_key_secret_arn
      MAX_MESSAGE_BYTES  = tostring(local.max_message_bytes)
      RUST_LOG           = var.log_level
    }
  }

  tags       = var.tags
  depends_on = [aws_iam_role_policy.ingest, aws_secretsmanager_secret_version.api_key]
}

# ------------------------------------------------------------------ classify
resource "aws_lambda_function" "classify" {
  #checkov:skip=CKV_AWS_116:Invoked by the SQS event source mapping; failed messages go to the queue's own DLQ (maxReceiveCount 5).
  #checkov:skip=CKV_AWS_117:Reaches S3, Secrets Manager and the ClickHouse endpoint (ClickHouse Cloud is public HTTPS); a VPC would add NAT cost. Attach VPC config if ClickHouse is private.
  #checkov:skip=CKV_AWS_173:Environment variables hold no secrets (the password is read from Secrets Manager at init), so the default encryption suffices.
  #checkov:skip=CKV_AWS_115:Bounded by the event source mapping's maximum_concurrency; a reservation would fail in accounts at the default concurrency quota.
  #checkov:skip=CKV_AWS_50:The function emits no X-Ray segments; every log line carries the request id.
  #checkov:skip=CKV_AWS_272:Built and deployed from source by the operator's own pipeline; code signing can be layered on with a signing profile.
  function_name    = "${var.name}-classify"
  description      = "ocsfmap classify: SQS batches -> OCSF classes -> one ClickHouse insert per batch"
  role             = aws_iam_role.classify.arn
  filename         = var.classify_zip
  source_code_hash = filebase64sha256(var.classify_zip)
  handler          = "bootstrap"
  runtime          = "provided.al2023"
  architectures    = ["arm64"]
  memory_size      = var.classify_memory_size
  timeout          = local.classify_timeout
  layers           = local.layers

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.classify.name
  }

  environment {
    variables = merge(local.clickhouse_env, local.model_env, {
      KB_BUCKET            = aws_s3_bucket.kb.id
      KB_POINTER_KEY       = var.kb_pointer_key
      CONFIDENCE_THRESHOLD = tostring(var.confidence_threshold)
      RUST_LOG             = var.log_level
    })
  }

  tags       = var.tags
  depends_on = [aws_iam_role_policy.classify]
}

# ------------------------------------------------------------------ kb-rebuild
resource "aws_lambda_function" "kb_rebuild" {
  #checkov:skip=CKV_AWS_116:Failed runs raise the Errors alarm and the next schedule or upload retries; the previous KB keeps serving, so there is nothing to replay from a DLQ.
  #checkov:skip=CKV_AWS_117:Reaches S3, Secrets Manager and the ClickHouse endpoint (ClickHouse Cloud is public HTTPS); a VPC would add NAT cost. Attach VPC config if ClickHouse is private.
  #checkov:skip=CKV_AWS_173:Environment variables hold no secrets (the password is read from Secrets Manager), so the default encryption suffices.
  #checkov:skip=CKV_AWS_50:The function emits no X-Ray segments; every log line carries the request id.
  #checkov:skip=CKV_AWS_272:Built and deployed from source by the operator's own pipeline; code signing can be layered on with a signing profile.
  function_name                  = "${var.name}-kb-rebuild"
  description                    = "ocsfmap kb-rebuild: rebuild, gate and publish the knowledge base"
  role                           = aws_iam_role.kb_rebuild.arn
  filename                       = var.kb_rebuild_zip
  source_code_hash               = filebase64sha256(var.kb_rebuild_zip)
  handler                        = "bootstrap"
  runtime                        = "provided.al2023"
  architectures                  = ["arm64"]
  memory_size                    = var.kb_rebuild_memory_size
  timeout                        = 900 # dense (model) builds take minutes; lexical ones seconds
  reserved_concurrent_executions = 1   # parallel builds would be wasted work (correctness does not depend on it)
  layers                         = local.layers

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.kb_rebuild.name
  }

  environment {
    variables = merge(local.clickhouse_env, local.model_env, {
      KB_BUCKET          = aws_s3_bucket.kb.id
      KB_SOURCES_PREFIX  = var.kb_sources_prefix
      KB_VERSIONS_PREFIX = var.kb_versions_prefix
      KB_POINTER_KEY     = var.kb_pointer_key
      RUST_LOG           = var.log_level
    })
  }

  tags       = var.tags
  depends_on = [aws_iam_role_policy.kb_rebuild]
}
