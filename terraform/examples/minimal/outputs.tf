################################################################################
# SES
################################################################################

output "smtp_settings" {
  description = "What the app's SMTP client needs: host, port (STARTTLS), user name (the access key ID) and password (SMTP password v4 for this region)"
  value = {
    host     = "email-smtp.${var.region}.amazonaws.com"
    port     = 587
    username = module.ses.sender_secrets["app-smtp"].access_key_id
    password = module.ses.sender_secrets["app-smtp"].smtp_password_v4
  }
  sensitive = true
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
