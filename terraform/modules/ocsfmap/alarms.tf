# Alarms on the dead-letter queues, the queue backlog and each function's Errors; sent to an SNS
# topic with an e-mail subscription when alarm_email is set.

resource "aws_sns_topic" "alarms" {
  #checkov:skip=CKV_AWS_26:CloudWatch alarms cannot publish to a topic encrypted with the AWS managed SNS key (its key policy does not admit CloudWatch), and alarm notifications carry no log contents.
  count        = var.alarm_email == "" ? 0 : 1
  name         = "${var.name}-alarms"
  display_name = "ocsfmap alarms"
  tags         = var.tags
}

resource "aws_sns_topic_subscription" "alarm_email" {
  count     = var.alarm_email == "" ? 0 : 1
  topic_arn = aws_sns_topic.alarms[0].arn
  protocol  = "email"
  endpoint  = var.alarm_email
}

locals {
  function_alarms = merge(
    {
      ingest       = { function = aws_lambda_function.ingest.function_name, what = "ingest invocations failed (init errors such as a bad variable or unreadable secret, crashes, timeouts)." }
      classify     = { function = aws_lambda_function.classify.function_name, what = "classify invocations failed as a whole (no KB published, init error, timeout); per-message failures show in the backlog and DLQ alarms." }
      "kb-rebuild" = { function = aws_lambda_function.kb_rebuild.function_name, what = "kb-rebuild failed (Permanent.BrokenInput names the source object and line; Retry.Unavailable means S3 or ClickHouse was unreachable). The previous KB keeps serving." }
    },
    local.review_enabled ? {
      review = { function = aws_lambda_function.review[0].function_name, what = "review invocations failed (init errors such as a bad variable or unreadable secret, crashes, timeouts); answers with a 4xx or 5xx status are not errors." }
    } : {},
    local.lake_enabled ? {
      "lake-export" = { function = aws_lambda_function.lake_export[0].function_name, what = "lake-export runs failed (init errors such as a bad variable, unreadable secret or missing OCSF export; ClickHouse or the lake bucket unreachable or refusing; timeouts). Nothing is lost - the next run exports from where the ledger stops." }
    } : {},
  )
}

resource "aws_cloudwatch_metric_alarm" "dead_letter" {
  alarm_name          = "${var.name}-dead-letter-queue"
  alarm_description   = "Messages reached the dead-letter queue (undecodable bodies, or batches that failed 5 times) - inspect and redrive."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.dead_letter.name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "rebuild_dead_letter" {
  count               = local.review_count
  alarm_name          = "${var.name}-rebuild-dead-letter-queue"
  alarm_description   = "Rebuild requests reached their dead-letter queue (kb-rebuild failed them 5 times, see its Errors alarm); the corrections are safe in ClickHouse and the next scheduled rebuild reads them."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.rebuild_dead_letter[0].name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "queue_backlog" {
  alarm_name          = "${var.name}-classify-backlog"
  alarm_description   = "The oldest message on the classify queue is over 15 minutes old (ClickHouse down or slow, or classify failing)."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateAgeOfOldestMessage"
  dimensions          = { QueueName = aws_sqs_queue.classify.name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 3
  threshold           = 900
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "function_errors" {
  for_each            = local.function_alarms
  alarm_name          = "${var.name}-${each.key}-errors"
  alarm_description   = each.value.what
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = each.value.function }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags
}
