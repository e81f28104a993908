# HTTP API rather than REST API + API-key usage plan: ingest authenticates every request itself
# (x-api-key or Authorization: Bearer, constant-time compare, key in Secrets Manager, 401/403
# answers documented in docs/ingest.md), so a gateway API key would be a second copy of the same
# secret - and AWS says usage-plan keys are for metering, not authorization. What the HTTP API
# gives instead: payload v2 (which ingest reads, with gzip bodies passed base64 without
# binary-media-type setup), stage throttling, access logs without the account-wide CloudWatch
# role REST APIs need, and ~70% lower request price.
#
# review's routes (shared/src/routes.json) are on the same API when oidc_issuer is set: the
# review_credential ones behind a JWT authorizer, the public ones (the page and its sign-in
# settings) without. scripts/check-infra checks both against the table.

resource "aws_apigatewayv2_api" "ingest" {
  name          = "${var.name}-ingest"
  description   = "ocsfmap (${var.name}): POST /v1/logs; the review API and page when oidc_issuer is set"
  protocol_type = "HTTP"

  # Only for a review page served from elsewhere; API Gateway then answers preflights itself and
  # its CORS headers replace the function's. Log shippers do not use CORS.
  dynamic "cors_configuration" {
    for_each = local.review_page_origin == "" ? [] : [1]
    content {
      allow_origins = [local.review_page_origin]
      allow_methods = ["GET", "POST", "DELETE"]
      allow_headers = ["authorization", "content-type"]
      max_age       = 600
    }
  }

  tags = var.tags
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

# ------------------------------------------------------------------ review
resource "aws_apigatewayv2_authorizer" "review" {
  count            = local.review_count
  api_id           = aws_apigatewayv2_api.ingest.id
  name             = "ReviewJwt"
  authorizer_type  = "JWT"
  identity_sources = ["$request.header.Authorization"]

  jwt_configuration {
    issuer   = var.oidc_issuer
    audience = var.oidc_audience
  }
}

resource "aws_apigatewayv2_integration" "review" {
  count                  = local.review_count
  api_id                 = aws_apigatewayv2_api.ingest.id
  integration_type       = "AWS_PROXY"
  integration_method     = "POST"
  integration_uri        = aws_lambda_function.review[0].invoke_arn
  payload_format_version = "2.0"
  timeout_milliseconds   = 30000
}

# public: the page, its script and style sheet, and how it signs in (no data).
resource "aws_apigatewayv2_route" "review_page" {
  #checkov:skip=CKV_AWS_309:Public by design (shared/src/routes.json): the review page's HTML, no data; the API routes it calls carry the JWT authorizer.
  count              = local.review_count
  api_id             = aws_apigatewayv2_api.ingest.id
  route_key          = "GET /review"
  target             = "integrations/${aws_apigatewayv2_integration.review[0].id}"
  authorization_type = "NONE"
}

resource "aws_apigatewayv2_route" "review_asset" {
  #checkov:skip=CKV_AWS_309:Public by design (shared/src/routes.json): the page's own script and style sheet, embedded in the binary.
  count              = local.review_count
  api_id             = aws_apigatewayv2_api.ingest.id
  route_key          = "GET /review/{asset}"
  target             = "integrations/${aws_apigatewayv2_integration.review[0].id}"
  authorization_type = "NONE"
}

resource "aws_apigatewayv2_route" "review_config" {
  #checkov:skip=CKV_AWS_309:Public by design (shared/src/routes.json): the OIDC settings the page signs in with (issuer, client id, endpoints), which are public anyway.
  count              = local.review_count
  api_id             = aws_apigatewayv2_api.ingest.id
  route_key          = "GET /v1/review/config"
  target             = "integrations/${aws_apigatewayv2_integration.review[0].id}"
  authorization_type = "NONE"
}

# review_credential: a valid JWT of oidc_issuer for one of oidc_audience; review then checks the
# group or scope.
resource "aws_apigatewayv2_route" "review_queue" {
  count              = local.review_count
  api_id             = aws_apigatewayv2_api.ingest.id
  route_key          = "GET /v1/review"
  target             = "integrations/${aws_apigatewayv2_integration.review[0].id}"
  authorization_type = "JWT"
  authorizer_id      = aws_apigatewayv2_authorizer.review[0].id
}

resource "aws_apigatewayv2_route" "review_shape" {
  count              = local.review_count
  api_id             = aws_apigatewayv2_api.ingest.id
  route_key          = "GET /v1/review/{signature}"
  target             = "integrations/${aws_apigatewayv2_integration.review[0].id}"
  authorization_type = "JWT"
  authorizer_id      = aws_apigatewayv2_authorizer.review[0].id
}

resource "aws_apigatewayv2_route" "review_correct" {
  count              = local.review_count
  api_id             = aws_apigatewayv2_api.ingest.id
  route_key          = "POST /v1/corrections"
  target             = "integrations/${aws_apigatewayv2_integration.review[0].id}"
  authorization_type = "JWT"
  authorizer_id      = aws_apigatewayv2_authorizer.review[0].id
}

resource "aws_apigatewayv2_route" "review_withdraw" {
  count              = local.review_count
  api_id             = aws_apigatewayv2_api.ingest.id
  route_key          = "DELETE /v1/corrections/{signature}"
  target             = "integrations/${aws_apigatewayv2_integration.review[0].id}"
  authorization_type = "JWT"
  authorizer_id      = aws_apigatewayv2_authorizer.review[0].id
}

resource "aws_apigatewayv2_route" "review_stats" {
  count              = local.review_count
  api_id             = aws_apigatewayv2_api.ingest.id
  route_key          = "GET /v1/stats"
  target             = "integrations/${aws_apigatewayv2_integration.review[0].id}"
  authorization_type = "JWT"
  authorizer_id      = aws_apigatewayv2_authorizer.review[0].id
}

resource "aws_apigatewayv2_route" "review_classes" {
  count              = local.review_count
  api_id             = aws_apigatewayv2_api.ingest.id
  route_key          = "GET /v1/classes"
  target             = "integrations/${aws_apigatewayv2_integration.review[0].id}"
  authorization_type = "JWT"
  authorizer_id      = aws_apigatewayv2_authorizer.review[0].id
}

# Any route of this API may invoke review; only review's routes above integrate with it.
resource "aws_lambda_permission" "review_api" {
  count         = local.review_count
  statement_id  = "AllowHttpApiReviewRoutes"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.review[0].function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.ingest.execution_arn}/*/*"
}
