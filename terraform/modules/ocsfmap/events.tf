# kb-rebuild triggers: an EventBridge schedule, and S3 Object Created / Object Deleted events
# of the KB bucket under the sources prefix (the bucket sends its events to EventBridge).

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
