################################################################################
# SES
################################################################################

output "api_credentials" {
  description = "Per domain, what its app's AWS SDK needs to call SES v2 SendEmail: region, access key ID and secret access key"
  value = {
    for d in keys(var.zones) : d => {
      region            = var.region
      access_key_id     = module.ses.sender_secrets["${replace(d, ".", "-")}-api"].access_key_id
      secret_access_key = module.ses.sender_secrets["${replace(d, ".", "-")}-api"].secret_access_key
    }
  }
  sensitive = true
}

################################################################################
# DNS
################################################################################

output "route53_records" {
  description = "The Route 53 records made, keyed domain/key (dkim1..3, mail_from_mx, mail_from_spf, spf, dmarc): their FQDNs"
  value       = { for k, r in aws_route53_record.this : k => r.fqdn }
}
