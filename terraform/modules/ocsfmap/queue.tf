# The classify queue, its dead-letter queue and the event source mapping that feeds classify;
# with review, the rebuild queue (review -> kb-rebuild), its dead-letter queue and mapping.

resource "aws_sqs_queue" "dead_letter" {
  #checkov:skip=CKV_AWS_27:Encrypted at rest with SSE-SQS (sqs_managed_sse_enabled); a KMS key would add KMS calls and key policy for no access-control gain.
  name                      = "${var.name}-classify-dlq"
  message_retention_seconds = 1209600 # 14 days to inspect and redrive
  max_message_size          = local.max_message_bytes
  sqs_managed_sse_enabled   = true
  tags                      = var.tags
}

resource "aws_sqs_queue" "classify" {
  #checkov:skip=CKV_AWS_27:Encrypted at rest with SSE-SQS (sqs_managed_sse_enabled); a KMS key would add KMS calls and key policy for no access-control gain.
  name                       = "${var.name}-classify"
  visibility_timeout_seconds = 6 * local.classify_timeout
  message_retention_seconds  = 345600 # 4 days: covers a ClickHouse outage over a weekend
  max_message_size           = local.max_message_bytes
  sqs_managed_sse_enabled    = true
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dead_letter.arn
    maxReceiveCount     = 5
  })
  tags = var.tags
}

# review -> kb-rebuild: one small message per correction or withdrawal; the event source
# mapping's batching window (rebuild_debounce_seconds) turns a burst of them into one rebuild.
# A request is only "rebuild now": the corrections themselves are in ClickHouse, and the
# scheduled rebuild picks them up even if a request is lost, hence the short retention.
resource "aws_sqs_queue" "rebuild_dead_letter" {
  #checkov:skip=CKV_AWS_27:Encrypted at rest with SSE-SQS (sqs_managed_sse_enabled); a KMS key would add KMS calls and key policy for no access-control gain.
  count                     = local.review_count
  name                      = "${var.name}-rebuild-dlq"
  message_retention_seconds = 1209600 # 14 days to inspect (the DLQ keeps a message's original enqueue time)
  sqs_managed_sse_enabled   = true
  tags                      = var.tags
}

resource "aws_sqs_queue" "rebuild" {
  #checkov:skip=CKV_AWS_27:Encrypted at rest with SSE-SQS (sqs_managed_sse_enabled); a KMS key would add KMS calls and key policy for no access-control gain.
  count = local.review_count
  name  = "${var.name}-rebuild"
  # 6x the kb-rebuild timeout, AWS's guidance for SQS event sources: a batch throttled by
  # kb-rebuild's reserved concurrency of 1 (a scheduled or S3-triggered run in progress) is
  # retried within it.
  visibility_timeout_seconds = 6 * local.kb_rebuild_timeout
  message_retention_seconds  = 86400 # 1 day: a request older than that is moot (the schedule rebuilds daily)
  sqs_managed_sse_enabled    = true
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.rebuild_dead_letter[0].arn
    maxReceiveCount     = 5
  })
  tags = var.tags
}

data "aws_iam_policy_document" "queue_tls_only" {
  for_each = merge(
    {
      classify    = aws_sqs_queue.classify.arn
      dead_letter = aws_sqs_queue.dead_letter.arn
    },
    local.review_enabled ? {
      rebuild             = aws_sqs_queue.rebuild[0].arn
      rebuild_dead_letter = aws_sqs_queue.rebuild_dead_letter[0].arn
    } : {},
  )
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sqs:*"]
    resources = [each.value]
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

resource "aws_sqs_queue_policy" "classify" {
  queue_url = aws_sqs_queue.classify.id
  policy    = data.aws_iam_policy_document.queue_tls_only["classify"].json
}

resource "aws_sqs_queue_policy" "dead_letter" {
  queue_url = aws_sqs_queue.dead_letter.id
  policy    = data.aws_iam_policy_document.queue_tls_only["dead_letter"].json
}

resource "aws_sqs_queue_policy" "rebuild" {
  count     = local.review_count
  queue_url = aws_sqs_queue.rebuild[0].id
  policy    = data.aws_iam_policy_document.queue_tls_only["rebuild"].json
}

resource "aws_sqs_queue_policy" "rebuild_dead_letter" {
  count     = local.review_count
  queue_url = aws_sqs_queue.rebuild_dead_letter[0].id
  policy    = data.aws_iam_policy_document.queue_tls_only["rebuild_dead_letter"].json
}

resource "aws_lambda_event_source_mapping" "classify" {
  event_source_arn                   = aws_sqs_queue.classify.arn
  function_name                      = aws_lambda_function.classify.arn
  batch_size                         = var.classify_batch_size
  maximum_batching_window_in_seconds = var.classify_batching_window_seconds
  function_response_types            = ["ReportBatchItemFailures"]

  scaling_config {
    maximum_concurrency = var.classify_max_concurrency
  }

  depends_on = [aws_iam_role_policy.classify]
}

# Rebuild requests from review. kb-rebuild's reserved concurrency of 1 serialises these runs with
# the scheduled and S3-triggered ones; a throttled batch stays invisible and is retried within
# the queue's visibility timeout.
resource "aws_lambda_event_source_mapping" "rebuild" {
  count                              = local.review_count
  event_source_arn                   = aws_sqs_queue.rebuild[0].arn
  function_name                      = aws_lambda_function.kb_rebuild.arn
  batch_size                         = local.rebuild_batch_size
  maximum_batching_window_in_seconds = var.rebuild_debounce_seconds

  depends_on = [aws_iam_role_policy.kb_rebuild]
}
