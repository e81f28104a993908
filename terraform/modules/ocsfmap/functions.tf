# The functions (arm64, provided.al2023, handler "bootstrap" as cargo-lambda packages them) and
# their log groups; review only with oidc_issuer set.

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

resource "aws_cloudwatch_log_group" "review" {
  #checkov:skip=CKV_AWS_158:CloudWatch Logs encrypts at rest by default; the functions never log record contents, keys or passwords (docs/ingest.md "Logs").
  #checkov:skip=CKV_AWS_338:Retention is the log_retention_days variable (default 30 days, operational logs only); raise it where policy requires a year.
  count             = local.review_count
  name              = "/aws/lambda/${var.name}-review"
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
  timeout                        = local.kb_rebuild_timeout
  reserved_concurrent_executions = 1 # parallel builds would be wasted work (correctness does not depend on it)
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

# ------------------------------------------------------------------ review
resource "aws_lambda_function" "review" {
  #checkov:skip=CKV_AWS_116:Invoked synchronously by the HTTP API; an async-invocation DLQ never receives anything.
  #checkov:skip=CKV_AWS_117:Reaches S3, SQS, Secrets Manager and the ClickHouse endpoint (ClickHouse Cloud is public HTTPS); a VPC would add NAT cost. Attach VPC config if ClickHouse is private.
  #checkov:skip=CKV_AWS_173:Environment variables hold no secrets (the password and the cursor key are read from Secrets Manager at init), so the default encryption suffices.
  #checkov:skip=CKV_AWS_115:Bounded by the API stage throttle; a reservation would fail in accounts at the default concurrency quota.
  #checkov:skip=CKV_AWS_50:The function emits no X-Ray segments; every log line carries the request id and the API access log its latency.
  #checkov:skip=CKV_AWS_272:Built and deployed from source by the operator's own pipeline; code signing can be layered on with a signing profile.
  count            = local.review_count
  function_name    = "${var.name}-review"
  description      = "ocsfmap review: the analysts' review queue, corrections, dashboard and page (docs/review.md)"
  role             = aws_iam_role.review[0].arn
  filename         = var.review_zip
  source_code_hash = filebase64sha256(var.review_zip)
  handler          = "bootstrap"
  runtime          = "provided.al2023"
  architectures    = ["arm64"]
  memory_size      = 1024 # the KB is loaded lazily, on the first request that classifies a sample
  timeout          = 29   # under the HTTP API's 30 s integration limit, so a slow request ends as the function's timeout
  # No model layer: review is built without the engine's `dense` feature (functions/review/Cargo.toml).

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.review[0].name
  }

  environment {
    variables = merge(
      local.clickhouse_env,
      {
        KB_BUCKET                   = aws_s3_bucket.kb.id
        KB_POINTER_KEY              = var.kb_pointer_key
        REVIEW_AUTH                 = "jwt" # API Gateway's JWT authorizer checks the token; review checks group or scope
        REVIEW_GROUPS_CLAIM         = var.review_groups_claim
        REVIEW_WHO_CLAIM            = var.review_who_claim
        OIDC_ISSUER                 = var.oidc_issuer
        OIDC_CLIENT_ID              = var.oidc_client_id
        OIDC_AUTHORIZATION_ENDPOINT = var.oidc_authorization_endpoint
        OIDC_TOKEN_ENDPOINT         = var.oidc_token_endpoint
        OIDC_SCOPE                  = var.oidc_scope
        REVIEW_CURSOR_SECRET_ARN    = aws_secretsmanager_secret.review_cursor_key[0].arn
        REBUILD_QUEUE_URL           = aws_sqs_queue.rebuild[0].id
        CONFIDENCE_THRESHOLD        = tostring(var.confidence_threshold)
        RUST_LOG                    = var.log_level
      },
      var.review_required_group == "" ? {} : { REVIEW_REQUIRED_GROUP = var.review_required_group },
      var.review_required_scope == "" ? {} : { REVIEW_REQUIRED_SCOPE = var.review_required_scope },
      local.review_page_origin == "" ? {} : { PAGE_ORIGIN = local.review_page_origin },
    )
  }

  # template.yaml's Rules.
  lifecycle {
    precondition {
      condition     = var.review_required_group != "" || var.review_required_scope != ""
      error_message = "With oidc_issuer set, set review_required_group or review_required_scope (or both): any valid token of the issuer is not enough to review."
    }
    precondition {
      condition     = length(var.oidc_audience) > 0
      error_message = "With oidc_issuer set, oidc_audience must list the accepted audiences."
    }
    precondition {
      condition     = var.oidc_client_id != "" && var.oidc_authorization_endpoint != "" && var.oidc_token_endpoint != ""
      error_message = "With oidc_issuer set, the page needs oidc_client_id, oidc_authorization_endpoint and oidc_token_endpoint."
    }
    precondition {
      condition     = var.review_zip != null
      error_message = "With oidc_issuer set, review_zip must name the review deployment package."
    }
  }

  tags       = var.tags
  depends_on = [aws_iam_role_policy.review, aws_secretsmanager_secret_version.review_cursor_key]
}
