# ocsfmap on AWS: HTTP API -> ingest -> SQS (+ DLQ) -> classify -> ClickHouse; kb-rebuild keeps
# the knowledge base in S3 current (EventBridge schedule + S3 events under the sources prefix);
# with oidc_issuer set, review serves analysts' corrections on the same API and asks kb-rebuild
# for rebuilds through a queue; with lake_bucket_name set, lake-export copies the classified events
# to Amazon Security Lake custom sources as Parquet on a schedule (docs/lake.md).
# The same stack as template.yaml (SAM): keep the two in step.
#
# Environment variable names are exactly those the functions read (functions/*/src/config.rs,
# functions/edge/src/clickhouse.rs, shared/src/ingest/config.rs; docs/*.md list them).

data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  create_api_key     = var.api_key_secret_arn == ""
  api_key_secret_arn = local.create_api_key ? aws_secretsmanager_secret.api_key[0].arn : var.api_key_secret_arn
  has_kms_key        = var.secrets_kms_key_arn != ""
  has_model_layer    = var.model_layer_arn != ""
  alarm_actions      = var.alarm_email == "" ? [] : [aws_sns_topic.alarms[0].arn]

  # Fail closed: without an issuer there is nothing to check analysts' tokens against, so the
  # review function, its routes, the authorizer, the cursor secret and the rebuild queue are not
  # created at all (count = review_count).
  review_enabled     = var.oidc_issuer != ""
  review_count       = local.review_enabled ? 1 : 0
  review_page_origin = local.review_enabled ? var.review_page_origin : ""
  rebuild_batch_size = var.rebuild_debounce_seconds == 0 ? 10 : 100 # > 10 needs a window of >= 1 s (AWS)

  # ingest packs records into messages of up to 256 KiB (MAX_MESSAGE_BYTES); the queue's limit
  # is set to the same value so the two cannot drift apart.
  max_message_bytes = 262144

  # >= CLICKHOUSE_TIMEOUT_MS (10 s) + classification + DEADLINE_MARGIN_MS. The queue's
  # visibility timeout is 6x this (AWS's guidance for SQS event sources).
  classify_timeout = 60

  # Dense (model) builds take minutes; lexical ones seconds. The rebuild queue's visibility
  # timeout is 6x this, as for classify.
  kb_rebuild_timeout = 900

  model_env = local.has_model_layer ? { OCSFMAP_MODEL_DIR = var.model_dir } : {}
  layers    = local.has_model_layer ? [var.model_layer_arn] : []

  clickhouse_env = {
    CLICKHOUSE_URL        = var.clickhouse_url
    CLICKHOUSE_USER       = var.clickhouse_user
    CLICKHOUSE_SECRET_ARN = var.clickhouse_secret_arn
    CLICKHOUSE_DATABASE   = var.clickhouse_database
    EVENTS_TABLE          = var.events_table
    OVERRIDES_TABLE       = var.overrides_table
  }

  secretsmanager_service = "secretsmanager.${data.aws_region.current.name}.amazonaws.com"

  # Off by default: without a lake bucket there is nothing to export to, so lake-export, its
  # schedule, role, log group and alarm are not created (count = lake_count). ClickHouse stays
  # the primary store either way.
  lake_enabled = var.lake_bucket_name != ""
  lake_count   = local.lake_enabled ? 1 : 0

  # The version classify stores events in: ocsf_output_version, else the knowledge base's own
  # (1.8.0). lake-export always reads that version's export (the files' columns come from it).
  lake_ocsf_version = var.ocsf_output_version == "" ? "1.8.0" : var.ocsf_output_version
  lake_export_key   = "ocsf/exports/${local.lake_ocsf_version}.json"

  # With the custom source's role every lake write goes through it, and lake-export's own role
  # gets sts:AssumeRole on it and nothing on the lake bucket or its key; without it, its own
  # role writes. Either way only under [prefix/]ext/, where the custom sources' locations are.
  lake_via_role   = var.lake_role_arn != ""
  lake_bucket_arn = "arn:${data.aws_partition.current.partition}:s3:::${var.lake_bucket_name}"
  lake_write_arn  = "${local.lake_bucket_arn}/${var.lake_prefix == "" ? "" : "${var.lake_prefix}/"}ext/*"

  # The shortest interval (5 minutes): a run is over before the next one is due.
  lake_export_timeout = 300
}

# --------------------------------------------------------------------------- ingest API key
resource "random_password" "api_key" {
  count   = local.create_api_key ? 1 : 0
  length  = 40
  special = false
}

resource "aws_secretsmanager_secret" "api_key" {
  #checkov:skip=CKV2_AWS_57:The key is shared with every log shipper; rotating it is a coordinated change of their configuration, not a rotation Lambda. ingest reads it at cold start.
  #checkov:skip=CKV_AWS_149:A customer-managed key is optional (secrets_kms_key_arn); without it the AWS managed key encrypts the secret.
  count                   = local.create_api_key ? 1 : 0
  name_prefix             = "${var.name}-ingest-api-key-"
  description             = "ocsfmap ingest API key (${var.name}); send it as x-api-key or Authorization: Bearer"
  kms_key_id              = local.has_kms_key ? var.secrets_kms_key_arn : null
  recovery_window_in_days = 7
  tags                    = var.tags
}

resource "aws_secretsmanager_secret_version" "api_key" {
  count         = local.create_api_key ? 1 : 0
  secret_id     = aws_secretsmanager_secret.api_key[0].id
  secret_string = jsonencode({ api_key = random_password.api_key[0].result })
}

# --------------------------------------------------------------------------- review cursor key
# HMAC key signing the review queue's page cursors (REVIEW_CURSOR_SECRET_ARN), JSON {"key": ...}.
# Also in the Terraform state, like the generated API key.
resource "random_password" "review_cursor_key" {
  count   = local.review_count
  length  = 64
  special = false
}

resource "aws_secretsmanager_secret" "review_cursor_key" {
  #checkov:skip=CKV2_AWS_57:The key only signs the review queue's page cursors (opaque, short-lived); replacing it invalidates open cursors and nothing else, so it needs no rotation Lambda. review reads it at cold start.
  #checkov:skip=CKV_AWS_149:A customer-managed key is optional (secrets_kms_key_arn); without it the AWS managed key encrypts the secret.
  count                   = local.review_count
  name_prefix             = "${var.name}-review-cursor-key-"
  description             = "ocsfmap review cursor key (${var.name}): HMAC key signing the review queue's page cursors"
  kms_key_id              = local.has_kms_key ? var.secrets_kms_key_arn : null
  recovery_window_in_days = 7
  tags                    = var.tags
}

resource "aws_secretsmanager_secret_version" "review_cursor_key" {
  count         = local.review_count
  secret_id     = aws_secretsmanager_secret.review_cursor_key[0].id
  secret_string = jsonencode({ key = random_password.review_cursor_key[0].result })
}
