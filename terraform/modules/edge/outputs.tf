output "web_acl_arn" {
  description = "ARN of the WAF web ACL on the load balancer (null when waf is off)."
  value       = one(aws_wafv2_web_acl.this[*].arn)
}

output "distribution_id" {
  description = "ID of the CloudFront distribution (null when cloudfront is off)."
  value       = one(aws_cloudfront_distribution.this[*].id)
}

output "distribution_domain_name" {
  description = "DNS name of the CloudFront distribution (null when cloudfront is off)."
  value       = one(aws_cloudfront_distribution.this[*].domain_name)
}

output "site_domain_name" {
  description = "The site's DNS name, when the alias record exists (null otherwise)."
  value       = one(aws_route53_record.site[*].name)
}

output "resource_count" {
  description = "How many resources the edge options create (0 with every switch off)."
  value = (length(aws_wafv2_web_acl.this) + length(aws_wafv2_web_acl_association.this) + length(aws_secretsmanager_secret.origin)
    + length(aws_secretsmanager_secret_version.origin) + length(aws_lb_listener_rule.origin_verified)
  + length(aws_lb_listener_rule.origin_bypass) + length(aws_cloudfront_distribution.this) + length(aws_route53_record.site))
}
