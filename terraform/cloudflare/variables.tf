variable "create" {
  description = "Controls whether any resource is created"
  type        = bool
  default     = true
  nullable    = false
}

variable "comment" {
  description = "Comment put on every record sesame creates"
  type        = string
  default     = "managed by sesame"
  nullable    = false

  validation {
    condition     = length(var.comment) > 0 && length(var.comment) <= 100
    error_message = "comment must be 1-100 characters (Cloudflare's limit on free plans)."
  }
}

################################################################################
# Zones
################################################################################

variable "domains" {
  description = "Domains whose DNS is in this Cloudflare account, keyed by domain: the zone (by name, or by ID), whether sesame manages _dmarc, and the pre-existing apex SPF / _dmarc records sesame adopts (null when none)"
  type = map(object({
    zone_name    = string
    zone_id      = optional(string)
    manage_dmarc = optional(bool, true)
    originals = optional(object({
      spf = optional(object({
        content = string
        ttl     = number
        proxied = optional(bool, false)
        comment = optional(string)
      }))
      dmarc = optional(object({
        content = string
        ttl     = number
        proxied = optional(bool, false)
        comment = optional(string)
      }))
    }), {})
  }))
  default  = {}
  nullable = false

  validation {
    condition     = alltrue([for d, v in var.domains : d == v.zone_name || endswith(d, ".${v.zone_name}")])
    error_message = "Each domain must be its zone's apex or a name under it (zone_name)."
  }
  validation {
    condition     = alltrue([for v in values(var.domains) : v.zone_id == null || can(regex("^[0-9a-f]{32}$", coalesce(v.zone_id, "0")))])
    error_message = "zone_id must be a 32-character lowercase hex Cloudflare zone ID."
  }
}

variable "records" {
  description = "Per domain, the records it needs keyed dkim1..3, mail_from_mx, mail_from_spf, spf, dmarc (the aws module's dns_records output)"
  type = map(map(object({
    name     = string
    type     = string
    value    = string
    priority = optional(number)
  })))
  default  = {}
  nullable = false

  validation {
    condition     = length(setsubtract(keys(var.records), keys(var.domains))) == 0 && length(setsubtract(keys(var.domains), keys(var.records))) == 0
    error_message = "records and domains must have the same keys (one entry per domain in each). Only in domains: [${join(", ", setsubtract(keys(var.domains), keys(var.records)))}]; only in records: [${join(", ", setsubtract(keys(var.records), keys(var.domains)))}]."
  }
  validation {
    condition = alltrue([for d, r in var.records : (
      length(setsubtract(keys(r), ["dkim1", "dkim2", "dkim3", "mail_from_mx", "mail_from_spf", "spf", "dmarc"])) == 0 &&
      length(setsubtract(try(var.domains[d].manage_dmarc, true) ? ["dkim1", "dkim2", "dkim3", "mail_from_mx", "mail_from_spf", "spf", "dmarc"] : ["dkim1", "dkim2", "dkim3", "mail_from_mx", "mail_from_spf", "spf"], keys(r))) == 0
    )])
    error_message = "Each domain's records are keyed dkim1, dkim2, dkim3, mail_from_mx, mail_from_spf, spf and dmarc (dmarc may be left out when manage_dmarc = false), as the aws module's dns_records output."
  }
}

variable "restore_originals" {
  description = "Put adopted records back exactly as they were (sesame sets this for one apply before destroy)"
  type        = bool
  default     = false
  nullable    = false
}
