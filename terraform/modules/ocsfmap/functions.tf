# The functions (arm64, provided.al2023, handler "bootstrap" as cargo-lambda packages them) and
# their log groups; review only with oidc_issuer set, lake-export only with lake_bucket_name set.

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

resource "aws_cloudwatch_log_group" "lake_export" {
  #checkov:skip=CKV_AWS_158:CloudWatch Logs encrypts at rest by default; the functions never log record contents, keys or passwords (docs/ingest.md "Logs").
  #checkov:skip=CKV_AWS_338:Retention is the log_retention_days variable (default 30 days, operational logs only); raise it where policy requires a year.
  count             = local.lake_count
  name              = "/aws/lambda/${var.name}-lake-export"
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
      }, var.ocsf_output_version == "" ? {} : {
      OCSF_OUTPUT_VERSION    = var.ocsf_output_version
      OCSF_OUTPUT_EXPORT_KEY = "ocsf/exports/${var.ocsf_output_version}.json"
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

# ------------------------------------------------------------------ lake-export
# Off while lake_bucket_name is empty. Runs on a schedule; what was exported is
# recorded in a ledger in ClickHouse, so a failed or skipped run costs nothing but delay: the
# next one exports from where the ledger stops.
resource "aws_lambda_function" "lake_export" {
  #checkov:skip=CKV_AWS_116:Failed runs raise the Errors alarm and are not retried; the next scheduled run catches up from the ledger in ClickHouse, so there is nothing to replay from a DLQ.
  #checkov:skip=CKV_AWS_117:Reaches S3, STS, Secrets Manager and the ClickHouse endpoint (ClickHouse Cloud is public HTTPS); a VPC would add NAT cost. Attach VPC config if ClickHouse is private.
  #checkov:skip=CKV_AWS_173:Environment variables hold no secrets (the password is read from Secrets Manager at init; the external ID only guards the custom source's role against a confused deputy and is no credential), so the default encryption suffices.
  #checkov:skip=CKV_AWS_50:The function emits no X-Ray segments; every log line carries the request id.
  #checkov:skip=CKV_AWS_272:Built and deployed from source by the operator's own pipeline; code signing can be layered on with a signing profile.
  count            = local.lake_count
  function_name    = "${var.name}-lake-export"
  description      = "ocsfmap lake-export: classified events in ClickHouse -> Parquet in Amazon Security Lake custom sources (docs/lake.md)"
  role             = aws_iam_role.lake_export[0].arn
  filename         = var.lake_export_zip
  source_code_hash = filebase64sha256(var.lake_export_zip)
  handler          = "bootstrap"
  runtime          = "provided.al2023"
  architectures    = ["arm64"]
  memory_size      = var.lake_export_memory_size
  timeout          = local.lake_export_timeout
  # Two runs must never overlap: starting from the same ledger position they would export the
  # same interval at once. A scheduled invocation throttled by this waits in Lambda's async
  # queue until the running one ends.
  reserved_concurrent_executions = 1

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.lake_export[0].name
  }

  # lake_external_id is sensitive: plans show LAKE_EXTERNAL_ID as (sensitive value).
  environment {
    variables = merge(
      # Not the overrides table: lake-export reads events only.
      { for k, v in local.clickhouse_env : k => v if k != "OVERRIDES_TABLE" },
      {
        KB_BUCKET              = aws_s3_bucket.kb.id
        OCSF_OUTPUT_VERSION    = local.lake_ocsf_version
        OCSF_OUTPUT_EXPORT_KEY = local.lake_export_key
        LAKE_BUCKET            = var.lake_bucket_name
        LAKE_REGION            = var.lake_region == "" ? data.aws_region.current.name : var.lake_region
        LAKE_ACCOUNT_ID        = var.lake_account_id == "" ? data.aws_caller_identity.current.account_id : var.lake_account_id
        LAKE_SOURCES           = var.lake_sources
        LAKE_INTERVAL_MINUTES  = tostring(var.lake_interval_minutes) # = the schedule's rate and the span each file covers
        LAKE_OMIT_RAW          = tostring(var.lake_omit_raw_data)
        RUST_LOG               = var.log_level
      },
      var.lake_prefix == "" ? {} : { LAKE_PREFIX = var.lake_prefix },
      local.lake_via_role ? { LAKE_ROLE_ARN = var.lake_role_arn } : {},
      var.lake_external_id == "" ? {} : { LAKE_EXTERNAL_ID = var.lake_external_id },
      var.lake_kms_key_arn == "" ? {} : { LAKE_KMS_KEY_ARN = var.lake_kms_key_arn },
    )
  }

  # template.yaml's Rules.
  lifecycle {
    precondition {
      condition     = var.lake_sources != ""
      error_message = "With lake_bucket_name set, lake_sources must map the exported OCSF classes to their custom sources (<class uid>=<source name>,...)."
    }
    precondition {
      condition     = var.lake_external_id == "" || var.lake_role_arn != ""
      error_message = "lake_external_id is the external ID of lake_role_arn; set both or neither."
    }
    precondition {
      condition     = var.lake_export_zip != null
      error_message = "With lake_bucket_name set, lake_export_zip must name the lake-export deployment package."
    }
  }

  tags       = var.tags
  depends_on = [aws_iam_role_policy.lake_export]
}

# A failed run is not re-run by Lambda (it raises the Errors alarm); the next scheduled run
# catches up from the ledger, and a retry would only race it.
resource "aws_lambda_function_event_invoke_config" "lake_export" {
  count                  = local.lake_count
  function_name          = aws_lambda_function.lake_export[0].function_name
  maximum_retry_attempts = 0
}
