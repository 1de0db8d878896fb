################################################################################
# Zones
################################################################################

output "zone_ids" {
  description = "Per domain, the Cloudflare zone ID its records are in"
  value       = local.zone_ids
}

output "zone_names" {
  description = "Per zone ID, the zone's name (plan reports name zones, even after a domain is removed)"
  value = {
    for id, names in { for d, v in local.domains : local.zone_ids[d] => v.zone_name... } : id => names[0]
  }
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
