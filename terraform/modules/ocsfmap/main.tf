# ocsfmap on AWS: HTTP API -> ingest -> SQS (+ DLQ) -> classify -> ClickHouse; kb-rebuild keeps
# the knowledge base in S3 current (EventBridge schedule + S3 events under the sources prefix).
# The same stack as template.yaml (SAM): keep the two in step.
#
# Environment variable names are exactly those the functions read (functions/*/src/config.rs,
# functions/edge/src/clickhouse.rs, shared/src/ingest/config.rs; docs/*.md list them).

data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  create_api_key     = var.api_key_secret_arn == ""
  api_key_secret_arn = local.create_api_key ? aws_secretsmanager_secret.api_key[0].arn : var.api_key_secret_arn
  has_kms_key        = var.secrets_kms_key_arn != ""
  has_model_layer    = var.model_layer_arn != ""
  alarm_actions      = var.alarm_email == "" ? [] : [aws_sns_topic.alarms[0].arn]

  # ingest packs records into messages of up to 256 KiB (MAX_MESSAGE_BYTES); the queue's limit
  # is set to the same value so the two cannot drift apart.
  max_message_bytes = 262144

  # >= CLICKHOUSE_TIMEOUT_MS (10 s) + classification + DEADLINE_MARGIN_MS. The queue's
  # visibility timeout is 6x this (AWS's guidance for SQS event sources).
  classify_timeout = 60

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
