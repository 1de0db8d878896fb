################################################################################
# SES
################################################################################

output "identities" {
  description = "Per domain: identity ARN, DKIM tokens, configuration set, MAIL FROM domain, events topic"
  value       = module.ses.identities
}

output "senders" {
  description = "Per sender: kind, domain, IAM user, access key ID and policy"
  value       = module.ses.senders
}

output "sender_secrets" {
  description = "Per sender: secret access key and SMTP password"
  value       = module.ses.sender_secrets
  sensitive   = true
}

################################################################################
# DNS
################################################################################

output "route53_records" {
  description = "The Route 53 records made, keyed dkim1..3, mail_from_mx, mail_from_spf, spf, dmarc: their FQDNs"
  value       = { for k, r in aws_route53_record.this : k => r.fqdn }
}
