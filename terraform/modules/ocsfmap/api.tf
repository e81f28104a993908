# HTTP API rather than REST API + API-key usage plan: ingest authenticates every request itself
# (x-api-key or Authorization: Bearer, constant-time compare, key in Secrets Manager, 401/403
# answers documented in docs/ingest.md), so a gateway API key would be a second copy of the same
# secret - and AWS says usage-plan keys are for metering, not authorization. What the HTTP API
# gives instead: payload v2 (which ingest reads, with gzip bodies passed base64 without
# binary-media-type setup), stage throttling, access logs without the account-wide CloudWatch
# role REST APIs need, and ~70% lower request price.

resource "aws_apigatewayv2_api" "ingest" {
  name          = "${var.name}-ingest"
  description   = "ocsfmap ingest (${var.name}): POST /v1/logs"
  protocol_type = "HTTP"
  tags          = var.tags
}

resource "aws_apigatewayv2_integration" "ingest" {
  api_id                 = aws_apigatewayv2_api.ingest.id
  integration_type       = "AWS_PROXY"
  integration_method     = "POST"
  integration_uri        = aws_lambda_function.ingest.invoke_arn
  payload_format_version = "2.0"
  timeout_milliseconds   = 30000
}

resource "aws_apigatewayv2_route" "post_logs" {
  #checkov:skip=CKV_AWS_309:ingest authenticates every request itself (API key from Secrets Manager, 401/403); a gateway authorizer would duplicate that secret.
  api_id             = aws_apigatewayv2_api.ingest.id
  route_key          = "POST /v1/logs"
  target             = "integrations/${aws_apigatewayv2_integration.ingest.id}"
  authorization_type = "NONE"
}

resource "aws_cloudwatch_log_group" "api_access" {
  #checkov:skip=CKV_AWS_158:CloudWatch Logs encrypts at rest by default; access logs hold request metadata only, no bodies or keys.
  #checkov:skip=CKV_AWS_338:Retention is the log_retention_days variable (default 30 days, operational logs only); raise it where policy requires a year.
  name              = "/aws/apigateway/${var.name}-ingest-access"
  retention_in_days = var.log_retention_days
  tags              = var.tags
}

resource "aws_apigatewayv2_stage" "default" {
  api_id      = aws_apigatewayv2_api.ingest.id
  name        = "$default"
  auto_deploy = true

  default_route_settings {
    throttling_rate_limit  = var.api_throttling_rate_limit
    throttling_burst_limit = var.api_throttling_burst_limit
  }

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.api_access.arn
    format = jsonencode({
      requestId            = "$context.requestId"
      ip                   = "$context.identity.sourceIp"
      time                 = "$context.requestTime"
      method               = "$context.httpMethod"
      path                 = "$context.path"
      status               = "$context.status"
      bytes                = "$context.responseLength"
      latencyMs            = "$context.responseLatency"
      integrationLatencyMs = "$context.integrationLatency"
      integrationError     = "$context.integrationErrorMessage"
    })
  }

  tags = var.tags
}

resource "aws_lambda_permission" "api" {
  statement_id  = "AllowHttpApiPostLogs"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.ingest.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.ingest.execution_arn}/*/POST/v1/logs"
}
