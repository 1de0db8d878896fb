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

output "zone_file_lines" {
  description = "The records to add to the domain's zone by hand, as zone-file lines"
  value = [
    for key, r in module.ses.dns_records[var.domain] : format(
      "%s. 3600 IN %s %s",
      r.name,
      r.type,
      r.type == "MX" ? "${r.priority} ${r.value}." : r.type == "CNAME" ? "${r.value}." : "\"${r.value}\"",
    )
  ]
}
