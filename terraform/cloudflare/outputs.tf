################################################################################
# Zones
################################################################################

output "zone_ids" {
  description = "Per domain, the Cloudflare zone ID its records are in"
  value       = local.zone_ids
}

################################################################################
# Records
################################################################################

output "records" {
  description = "Every record sesame manages, keyed domain/key: id, name, type, content, priority"
  value = {
    for k, r in cloudflare_dns_record.this : k => {
      id       = r.id
      name     = r.name
      type     = r.type
      content  = r.content
      priority = r.priority
    }
  }
}

output "adopted" {
  description = "Records (domain/spf, domain/dmarc) that existed before sesame and are restored on destroy"
  value       = sort(keys(terraform_data.original))
}
