# kb-rebuild triggers: an EventBridge schedule, and S3 Object Created / Object Deleted events
# of the KB bucket under the sources prefix (the bucket sends its events to EventBridge).
# lake-export's trigger: a schedule every lake_interval_minutes (with lake_bucket_name set).

resource "aws_cloudwatch_event_rule" "kb_schedule" {
  name                = "${var.name}-kb-rebuild-schedule"
  description         = "ocsfmap (${var.name}): periodic KB rebuild (picks up analysts' overrides)"
  schedule_expression = var.kb_rebuild_schedule
  tags                = var.tags
}

resource "aws_cloudwatch_event_target" "kb_schedule" {
  rule = aws_cloudwatch_event_rule.kb_schedule.name
  arn  = aws_lambda_function.kb_rebuild.arn
}

resource "aws_lambda_permission" "kb_schedule" {
  statement_id  = "AllowScheduledRebuild"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.kb_rebuild.function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.kb_schedule.arn
}

resource "aws_cloudwatch_event_rule" "kb_sources" {
  name        = "${var.name}-kb-sources-changed"
  description = "ocsfmap (${var.name}): a KB source was uploaded or deleted"
  event_pattern = jsonencode({
    source        = ["aws.s3"]
    "detail-type" = ["Object Created", "Object Deleted"]
    detail = {
      bucket = { name = [aws_s3_bucket.kb.id] }
      object = { key = [{ prefix = var.kb_sources_prefix }] }
    }
  })
  tags = var.tags
}

resource "aws_cloudwatch_event_target" "kb_sources" {
  rule = aws_cloudwatch_event_rule.kb_sources.name
  arn  = aws_lambda_function.kb_rebuild.arn

  retry_policy {
    maximum_retry_attempts       = 4
    maximum_event_age_in_seconds = 3600
  }
}

resource "aws_lambda_permission" "kb_sources" {
  statement_id  = "AllowSourcesChangedRebuild"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.kb_rebuild.function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.kb_sources.arn
}

resource "aws_cloudwatch_event_rule" "lake_schedule" {
  count               = local.lake_count
  name                = "${var.name}-lake-export-schedule"
  description         = "ocsfmap (${var.name}): export classified events to Security Lake"
  schedule_expression = "rate(${var.lake_interval_minutes} minutes)" # 5..1440, never the singular "minute"
  tags                = var.tags
}

resource "aws_cloudwatch_event_target" "lake_schedule" {
  count = local.lake_count
  rule  = aws_cloudwatch_event_rule.lake_schedule[0].name
  arn   = aws_lambda_function.lake_export[0].arn

  # Delivery to Lambda is retried briefly, up to the shortest interval; past that the next tick
  # does the same work (it starts from the ledger), so nothing is lost.
  retry_policy {
    maximum_retry_attempts       = 2
    maximum_event_age_in_seconds = 300
  }
}

resource "aws_lambda_permission" "lake_schedule" {
  count         = local.lake_count
  statement_id  = "AllowScheduledLakeExport"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.lake_export[0].function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.lake_schedule[0].arn
}
