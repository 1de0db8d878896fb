output "identities" {
  description = "Per domain: identity ARN, DKIM tokens and key length, configuration set, MAIL FROM domain, events topic"
  value       = module.aws.identities
}

output "dns_records" {
  description = "Per domain, every DNS record it needs (name, type, value, priority), keyed dkim1..3, mail_from_mx, mail_from_spf, spf, dmarc"
  value       = module.aws.dns_records
}

output "alarms_topic_arn" {
  description = "SNS topic the reputation alarms notify"
  value       = module.aws.alarms_topic_arn
}

output "senders" {
  description = "Per sender: kind, domain, IAM principal, access key ID and policy"
  value       = module.aws.senders
}

output "sender_secrets" {
  description = "Per smtp/api sender: secret access key (and the provider's SMTP password, a cross-check)"
  value       = module.aws.sender_secrets
  sensitive   = true
}

output "dns_zone_ids" {
  description = "Per Cloudflare-managed domain, its zone ID"
  value       = module.cloudflare.zone_ids
}

output "dns_zone_names" {
  description = "Per Cloudflare zone ID, the zone's name"
  value       = module.cloudflare.zone_names
}

output "dns_managed_records" {
  description = "Every DNS record sesame manages in Cloudflare, keyed domain/key"
  value       = module.cloudflare.records
}

output "dns_adopted" {
  description = "Records that existed before sesame (domain/spf, domain/dmarc) and are restored on destroy"
  value       = module.cloudflare.adopted
}
