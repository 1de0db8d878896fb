################################################################################
# SES
################################################################################

output "identities" {
  description = "Per domain: identity ARN, DKIM tokens, configuration set, MAIL FROM domain, events topic"
  value       = module.ses.identities
}

output "alarms_topic_arn" {
  description = "SNS topic the reputation alarms notify"
  value       = module.ses.alarms_topic_arn
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

output "zone_ids" {
  description = "Per domain, the Cloudflare zone ID its records are in"
  value       = module.dns.zone_ids
}

output "dns_records" {
  description = "Every record made in Cloudflare, keyed domain/key"
  value       = module.dns.records
}
