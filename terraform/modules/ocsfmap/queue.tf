# The classify queue, its dead-letter queue and the event source mapping that feeds classify.

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

data "aws_iam_policy_document" "queue_tls_only" {
  for_each = {
    classify    = aws_sqs_queue.classify.arn
    dead_letter = aws_sqs_queue.dead_letter.arn
  }
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
