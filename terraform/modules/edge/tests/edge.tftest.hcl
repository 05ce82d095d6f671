# Offline: mock AWS provider, plan only. Each switch on and off, and the resource set it yields.

mock_provider "aws" {
  mock_data "aws_secretsmanager_random_password" {
    defaults = {
      random_password = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKL"
    }
  }

  mock_resource "aws_cloudfront_distribution" {
    defaults = {
      domain_name = "d111111abcdef8.cloudfront.net"
    }
  }
}

variables {
  project_name           = "fuel-flow"
  environment            = "prod"
  load_balancer_arn      = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/fuel-flow-alb-prod/0123456789abcdef"
  load_balancer_dns_name = "fuel-flow-alb-prod-123456789.eu-west-1.elb.amazonaws.com"
  load_balancer_zone_id  = "Z32O12XQLNTSW2"
  https_listener_arn     = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/fuel-flow-alb-prod/0123456789abcdef/0123456789abcdef"
  target_group_arn       = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/fuel-flow-tg-prod/0123456789abcdef"
  logs_bucket_name       = "fuel-flow-logs-prod-123456789012-eu-west-1"
}

run "every_switch_off_creates_nothing" {
  command = plan

  assert {
    condition     = output.resource_count == 0
    error_message = "With waf, cloudfront and dns_record off the edge module must create nothing."
  }
}

run "waf_alone_is_a_regional_acl_on_the_load_balancer" {
  command = plan

  variables {
    waf            = true
    waf_rate_limit = 500
  }

  assert {
    condition     = output.resource_count == 2 && aws_wafv2_web_acl.this[0].scope == "REGIONAL" && aws_wafv2_web_acl_association.this[0].resource_arn == var.load_balancer_arn
    error_message = "waf must create one REGIONAL web ACL associated with the load balancer, and nothing else."
  }

  assert {
    condition     = [for r in aws_wafv2_web_acl.this[0].rule : r.name] == ["aws-common", "aws-known-bad-inputs", "rate-limit"] || toset([for r in aws_wafv2_web_acl.this[0].rule : r.name]) == toset(["aws-common", "aws-known-bad-inputs", "rate-limit"])
    error_message = "The web ACL must hold the common and known-bad-inputs rule sets and the rate limit."
  }

  assert {
    condition     = one([for r in aws_wafv2_web_acl.this[0].rule : r.statement[0].rate_based_statement[0].limit if r.name == "rate-limit"]) == 500 && one([for r in aws_wafv2_web_acl.this[0].rule : r.statement[0].rate_based_statement[0].aggregate_key_type if r.name == "rate-limit"]) == "IP"
    error_message = "The rate limit must be waf_rate_limit per client IP."
  }
}

run "cloudfront_fronts_the_load_balancer_with_a_secret_header" {
  command = plan

  variables {
    cloudfront = true
  }

  assert {
    condition     = output.resource_count == 5 && length(aws_wafv2_web_acl.this) == 0 && length(aws_route53_record.site) == 0
    error_message = "cloudfront alone: secret, its version, two listener rules and the distribution (5 resources)."
  }

  assert {
    condition     = one(aws_cloudfront_distribution.this[0].origin).custom_origin_config[0].origin_protocol_policy == "https-only" && one(aws_cloudfront_distribution.this[0].origin).custom_origin_config[0].origin_ssl_protocols == toset(["TLSv1.2"])
    error_message = "The origin must be reached over HTTPS only, TLS 1.2."
  }

  assert {
    condition     = one(one(aws_cloudfront_distribution.this[0].origin).custom_header).name == "X-Origin-Verify" && one(aws_lb_listener_rule.origin_verified[0].condition).http_header[0].values == toset(["0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKL"])
    error_message = "CloudFront must send the secret header and the listener rule must match the same value."
  }

  assert {
    condition     = aws_lb_listener_rule.origin_bypass[0].priority == 2 && aws_lb_listener_rule.origin_bypass[0].action[0].fixed_response[0].status_code == "403"
    error_message = "Requests without the secret must get 403 from the load balancer."
  }

  assert {
    condition     = aws_cloudfront_distribution.this[0].logging_config[0].bucket == "fuel-flow-logs-prod-123456789012-eu-west-1.s3.amazonaws.com"
    error_message = "CloudFront must log to the logs bucket."
  }

  assert {
    condition     = aws_cloudfront_distribution.this[0].viewer_certificate[0].cloudfront_default_certificate == true
    error_message = "Without a us-east-1 certificate the distribution serves CloudFront's default certificate."
  }
}

run "cloudfront_with_a_us_east_1_certificate_serves_the_domain" {
  command = plan

  variables {
    cloudfront      = true
    domain_name     = "www.example.com"
    hosted_zone_id  = "Z0123456789ABCDEFGHIJ"
    certificate_arn = "arn:aws:acm:us-east-1:123456789012:certificate/01234567-89ab-cdef-0123-456789abcdef"
  }

  assert {
    condition     = aws_cloudfront_distribution.this[0].aliases == toset(["www.example.com"]) && aws_cloudfront_distribution.this[0].viewer_certificate[0].minimum_protocol_version == "TLSv1.2_2021"
    error_message = "With a us-east-1 certificate the distribution answers for domain_name with TLS 1.2 at least."
  }
}

run "waf_behind_cloudfront_counts_the_forwarded_client_address" {
  command = plan

  variables {
    waf        = true
    cloudfront = true
  }

  assert {
    condition     = output.resource_count == 7 && one([for r in aws_wafv2_web_acl.this[0].rule : r.statement[0].rate_based_statement[0].aggregate_key_type if r.name == "rate-limit"]) == "FORWARDED_IP"
    error_message = "Behind CloudFront the rate limit must count X-Forwarded-For, not CloudFront's addresses."
  }
}

run "dns_record_points_at_the_load_balancer" {
  command = plan

  variables {
    dns_record     = true
    domain_name    = "www.example.com"
    hosted_zone_id = "Z0123456789ABCDEFGHIJ"
  }

  assert {
    condition     = output.resource_count == 1 && one(aws_route53_record.site[0].alias).name == var.load_balancer_dns_name && one(aws_route53_record.site[0].alias).zone_id == "Z32O12XQLNTSW2"
    error_message = "dns_record alone: one alias record to the load balancer."
  }
}

run "dns_record_points_at_cloudfront_when_it_is_on" {
  command = plan

  variables {
    dns_record     = true
    cloudfront     = true
    domain_name    = "www.example.com"
    hosted_zone_id = "Z0123456789ABCDEFGHIJ"
  }

  assert {
    condition     = one(aws_route53_record.site[0].alias).zone_id == "Z2FDTNDATAQYW2"
    error_message = "With CloudFront on the alias must point at the distribution (CloudFront's hosted zone)."
  }
}

run "rejects_dns_record_without_a_domain" {
  command = plan

  variables {
    dns_record = true
  }

  expect_failures = [var.dns_record]
}

run "rejects_rate_limit_below_100" {
  command = plan

  variables {
    waf_rate_limit = 99
  }

  expect_failures = [var.waf_rate_limit]
}

run "rejects_waf_without_a_load_balancer" {
  command = plan

  variables {
    waf               = true
    load_balancer_arn = null
  }

  expect_failures = [var.load_balancer_arn]
}

run "rejects_an_upper_case_domain" {
  command = plan

  variables {
    domain_name = "WWW.Example.com"
  }

  expect_failures = [var.domain_name]
}

run "rejects_a_malformed_zone_id" {
  command = plan

  variables {
    hosted_zone_id = "zone-1"
  }

  expect_failures = [var.hosted_zone_id]
}

run "rejects_a_certificate_that_is_no_acm_arn" {
  command = plan

  variables {
    certificate_arn = "arn:aws:iam::123456789012:server-certificate/site"
  }

  expect_failures = [var.certificate_arn]
}

run "rejects_cloudfront_without_an_https_listener" {
  command = plan

  variables {
    cloudfront         = true
    https_listener_arn = null
  }

  expect_failures = [var.https_listener_arn]
}

run "rejects_cloudfront_without_a_target_group" {
  command = plan

  variables {
    cloudfront       = true
    target_group_arn = null
  }

  expect_failures = [var.target_group_arn]
}

run "rejects_dns_record_without_a_load_balancer" {
  command = plan

  variables {
    dns_record             = true
    domain_name            = "www.example.com"
    hosted_zone_id         = "Z0123456789ABCDEFGHIJ"
    load_balancer_dns_name = null
  }

  expect_failures = [var.load_balancer_dns_name]
}

run "rejects_bad_project_name" {
  command = plan

  variables {
    project_name = "Fuel_Flow"
  }

  expect_failures = [var.project_name]
}

run "rejects_environment_name_outside_the_naming_rules" {
  command = plan

  variables {
    environment = "staging-"
  }

  expect_failures = [var.environment]
}
