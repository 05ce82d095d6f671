# Edge options, each off by default (mirrors cloudformation/edge.yaml):
# - waf: a REGIONAL WAFv2 web ACL on the load balancer (AWS managed common + known-bad-inputs rule sets, a
#   per-IP rate limit), in the environment's own region, with or without CloudFront (DECISIONS 14.4);
# - cloudfront: a distribution in front of the load balancer, origin over HTTPS (TLS 1.2) with a secret
#   X-Origin-Verify header; two listener rules on the load balancer's HTTPS listener forward requests
#   carrying it and answer 403 to everything else, so the origin cannot be reached around CloudFront;
# - dns_record: a Route 53 alias A record for domain_name, to CloudFront when it is on, else the load balancer.
# With every switch off the module creates nothing.

locals {
  name = "${var.project_name}-%s-${var.environment}"

  # CloudFront takes viewer certificates from ACM in us-east-1 only (as in the template).
  certificate_in_us_east_1 = var.certificate_arn != "" && try(split(":", var.certificate_arn)[3], "") == "us-east-1"
  viewer_certificate       = var.cloudfront && var.domain_name != "" && local.certificate_in_us_east_1

  # AWS managed CloudFront policies: CachingDisabled, AllViewer (the Host header reaches the origin, whose
  # certificate is for that name).
  caching_disabled_policy_id = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
  all_viewer_policy_id       = "216adef6-5c7f-47e4-b989-5492eafa07d3"
  cloudfront_zone_id         = "Z2FDTNDATAQYW2"
}

# --- WAF ---------------------------------------------------------------------------------------------

resource "aws_wafv2_web_acl" "this" {
  #checkov:skip=CKV2_AWS_31:Sampled requests and CloudWatch metrics are on for every rule; full request logging needs an aws-waf-logs-* destination billed per GB, not part of this design (the CloudFormation template has none either).
  count = var.waf ? 1 : 0

  name        = format(local.name, "waf")
  description = "${var.project_name} ${var.environment} - AWS managed common and known-bad-inputs rules, per-IP rate limit"
  scope       = "REGIONAL"

  default_action {
    allow {}
  }

  rule {
    name     = "aws-common"
    priority = 10

    override_action {
      none {}
    }

    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesCommonRuleSet"
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "aws-common"
      sampled_requests_enabled   = true
    }
  }

  rule {
    name     = "aws-known-bad-inputs"
    priority = 20

    override_action {
      none {}
    }

    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesKnownBadInputsRuleSet"
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "aws-known-bad-inputs"
      sampled_requests_enabled   = true
    }
  }

  # Behind CloudFront the client address is the one CloudFront puts in X-Forwarded-For.
  rule {
    name     = "rate-limit"
    priority = 30

    action {
      block {}
    }

    statement {
      rate_based_statement {
        limit              = var.waf_rate_limit
        aggregate_key_type = var.cloudfront ? "FORWARDED_IP" : "IP"

        dynamic "forwarded_ip_config" {
          for_each = var.cloudfront ? [1] : []
          content {
            header_name       = "X-Forwarded-For"
            fallback_behavior = "MATCH"
          }
        }
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "rate-limit"
      sampled_requests_enabled   = true
    }
  }

  visibility_config {
    cloudwatch_metrics_enabled = true
    metric_name                = format(local.name, "waf")
    sampled_requests_enabled   = true
  }

  tags = {
    Name = format(local.name, "waf")
  }
}

resource "aws_wafv2_web_acl_association" "this" {
  count = var.waf ? 1 : 0

  resource_arn = var.load_balancer_arn
  web_acl_arn  = aws_wafv2_web_acl.this[0].arn
}

# --- CloudFront --------------------------------------------------------------------------------------

resource "aws_secretsmanager_secret" "origin" {
  #checkov:skip=CKV_AWS_149:Encrypted with the AWS managed key aws/secretsmanager; a customer-managed KMS key is not part of this architecture (cost, key administration).
  #checkov:skip=CKV2_AWS_57:A shared header value between CloudFront and the load balancer, not a credential a service can rotate; a new value is a redeploy of both.
  count = var.cloudfront ? 1 : 0

  name                    = "${var.project_name}/${var.environment}/cloudfront-origin-secret"
  description             = "Value of the X-Origin-Verify header CloudFront sends to the ${var.project_name} ${var.environment} load balancer"
  recovery_window_in_days = 0

  tags = {
    Name = "${var.project_name}/${var.environment}/cloudfront-origin-secret"
  }
}

# Generated once; the stored version keeps it (a new one would differ at every plan).
data "aws_secretsmanager_random_password" "origin" {
  count = var.cloudfront ? 1 : 0

  password_length     = 48
  exclude_punctuation = true
}

resource "aws_secretsmanager_secret_version" "origin" {
  count = var.cloudfront ? 1 : 0

  secret_id     = aws_secretsmanager_secret.origin[0].id
  secret_string = data.aws_secretsmanager_random_password.origin[0].random_password

  lifecycle {
    ignore_changes = [secret_string]
  }
}

resource "aws_lb_listener_rule" "origin_verified" {
  count = var.cloudfront ? 1 : 0

  listener_arn = var.https_listener_arn
  priority     = 1

  condition {
    http_header {
      http_header_name = "X-Origin-Verify"
      values           = [aws_secretsmanager_secret_version.origin[0].secret_string]
    }
  }

  action {
    type             = "forward"
    target_group_arn = var.target_group_arn
  }

  tags = {
    Name = format(local.name, "origin-verified")
  }
}

resource "aws_lb_listener_rule" "origin_bypass" {
  count = var.cloudfront ? 1 : 0

  listener_arn = var.https_listener_arn
  priority     = 2

  condition {
    path_pattern {
      values = ["*"]
    }
  }

  action {
    type = "fixed-response"

    fixed_response {
      status_code  = "403"
      content_type = "text/plain"
      message_body = "Forbidden"
    }
  }

  tags = {
    Name = format(local.name, "origin-bypass")
  }
}

resource "aws_cloudfront_distribution" "this" {
  #checkov:skip=CKV_AWS_68:The WAF web ACL (waf) is REGIONAL and attached to the load balancer behind this distribution, so every request CloudFront forwards passes it (DECISIONS 14.4).
  #checkov:skip=CKV_AWS_174:TLSv1.2_2021 is set whenever the distribution has its own certificate; with CloudFront's default certificate CloudFront fixes the minimum protocol itself.
  #checkov:skip=CKV_AWS_310:One origin, the load balancer (itself in two Availability Zones); an origin group needs a second origin this architecture does not have.
  #checkov:skip=CKV_AWS_305:The origin serves the site's pages at "/"; the default root object is the load balancer's answer to "/".
  #checkov:skip=CKV2_AWS_32:Security headers are the web application's to set (Apache); a response headers policy would override them for every path.
  #checkov:skip=CKV2_AWS_47:The web ACL with AWSManagedRulesKnownBadInputsRuleSet (Log4j included) is on the load balancer every request of this distribution reaches.
  #checkov:skip=CKV_AWS_374:No geo restriction: the site serves every country.
  count = var.cloudfront ? 1 : 0

  comment         = "${var.project_name} ${var.environment} web"
  enabled         = true
  http_version    = "http2and3"
  is_ipv6_enabled = true
  price_class     = "PriceClass_100"
  aliases         = local.viewer_certificate ? [var.domain_name] : null

  origin {
    origin_id   = "load-balancer"
    domain_name = var.load_balancer_dns_name

    custom_origin_config {
      origin_protocol_policy = "https-only"
      origin_ssl_protocols   = ["TLSv1.2"]
      http_port              = 80
      https_port             = 443
    }

    custom_header {
      name  = "X-Origin-Verify"
      value = aws_secretsmanager_secret_version.origin[0].secret_string
    }
  }

  default_cache_behavior {
    target_origin_id         = "load-balancer"
    viewer_protocol_policy   = "redirect-to-https"
    allowed_methods          = ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]
    cached_methods           = ["GET", "HEAD"]
    compress                 = true
    cache_policy_id          = local.caching_disabled_policy_id
    origin_request_policy_id = local.all_viewer_policy_id
  }

  logging_config {
    bucket          = "${var.logs_bucket_name}.s3.amazonaws.com"
    prefix          = "cloudfront/${var.environment}/"
    include_cookies = false
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  viewer_certificate {
    cloudfront_default_certificate = local.viewer_certificate ? null : true
    acm_certificate_arn            = local.viewer_certificate ? var.certificate_arn : null
    ssl_support_method             = local.viewer_certificate ? "sni-only" : null
    minimum_protocol_version       = local.viewer_certificate ? "TLSv1.2_2021" : null
  }

  tags = {
    Name = format(local.name, "cdn")
  }
}

# --- DNS ---------------------------------------------------------------------------------------------

resource "aws_route53_record" "site" {
  count = var.dns_record ? 1 : 0

  zone_id = var.hosted_zone_id
  name    = var.domain_name
  type    = "A"

  alias {
    name                   = var.cloudfront ? aws_cloudfront_distribution.this[0].domain_name : var.load_balancer_dns_name
    zone_id                = var.cloudfront ? local.cloudfront_zone_id : var.load_balancer_zone_id
    evaluate_target_health = !var.cloudfront
  }
}
