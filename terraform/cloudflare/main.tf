locals {
  domains = var.create ? var.domains : {}

  record_keys = ["dkim1", "dkim2", "dkim3", "mail_from_mx", "mail_from_spf", "spf", "dmarc"]
}

################################################################################
# Zones
################################################################################

data "cloudflare_zone" "this" {
  for_each = { for d, v in local.domains : d => v if v.zone_id == null }

  filter = {
    name = each.value.zone_name
  }
}

locals {
  zone_ids = { for d, v in local.domains : d => coalesce(v.zone_id, try(data.cloudflare_zone.this[d].id, null)) }
}

################################################################################
# Originals
################################################################################

# The apex SPF and _dmarc records that existed before sesame, frozen at adoption so
# `restore_originals` can put them back exactly and the SPF merge stays stable. Read as
# `.input` (known at plan time, frozen by ignore_changes), so the first plan already shows
# the merged SPF a reviewer signs, not "(known after apply)".
resource "terraform_data" "original" {
  for_each = merge([
    for d, v in local.domains : {
      for k in ["spf", "dmarc"] : "${d}/${k}" => v.originals[k] if v.originals[k] != null
    }
  ]...)

  input = each.value

  lifecycle {
    ignore_changes = [input]
  }
}

################################################################################
# Records
################################################################################

locals {
  # An adopted SPF keeps every mechanism it had; include:amazonses.com goes in before
  # its final `all` (or `redirect=`), and a second SPF record is never created.
  # RFC 1035 presentation form, as sesame.dns.txt.unquote reads it: the quoted strings joined,
  # `\"` and `\\` unescaped (unquoted content is taken as it is).
  spf_content = { for d in keys(local.domains) : d => try(trimspace(terraform_data.original["${d}/spf"].input.content), null) }
  spf_raw = {
    for d, c in local.spf_content : d => c == null ? null : (
      startswith(c, "\"") ? join("", [for m in regexall("\"((?:[^\"\\\\]|\\\\.)*)\"", c) : replace(m[0], "/\\\\(.)/", "$1")]) : c
    )
  }
  spf_terminal = "\\s+([-~?+]?all|redirect=\\S+)\\s*$"
  spf_values = {
    for d, raw in local.spf_raw : d => (
      raw == null ? var.records[d].spf.value :
      strcontains(raw, "include:amazonses.com") ? raw :
      can(regex(local.spf_terminal, raw)) ? replace(raw, "/${local.spf_terminal}/", " include:amazonses.com $1") :
      "${raw} include:amazonses.com"
    )
  }

  records = merge([
    for d, v in local.domains : {
      for k in local.record_keys : "${d}/${k}" => {
        domain   = d
        key      = k
        name     = var.records[d][k].name
        type     = var.records[d][k].type
        value    = k == "spf" ? local.spf_values[d] : var.records[d][k].value
        priority = var.records[d][k].priority
        original = try(terraform_data.original["${d}/${k}"].input, null)
      } if k != "dmarc" || v.manage_dmarc
    }
  ]...)
}

resource "cloudflare_dns_record" "this" {
  for_each = local.records

  zone_id = local.zone_ids[each.value.domain]
  name    = each.value.name
  type    = each.value.type
  content = (
    var.restore_originals && each.value.original != null ? each.value.original.content :
    # TXT: 255-character strings, each quoted with `"` and `\` escaped (RFC 1035 §5.1)
    each.value.type == "TXT" ? join(" ", [for chunk in regexall(".{1,255}", each.value.value) : "\"${replace(replace(chunk, "\\", "\\\\"), "\"", "\\\"")}\""]) :
    each.value.value
  )
  priority = each.value.type == "MX" ? each.value.priority : null
  # An adopted record keeps its owner's TTL (merged or replaced, and when given back).
  ttl = each.value.original != null ? each.value.original.ttl : 1
  # Never proxied: Cloudflare answers a proxied name with its own addresses, hiding the
  # CNAME/TXT that SES and receivers read. The originals sesame restores are TXT records,
  # which cannot be proxied either.
  proxied = false
  comment = (
    var.restore_originals && each.value.original != null ? each.value.original.comment :
    each.value.original != null ? substr(trimspace("${each.value.original.comment == null ? "" : each.value.original.comment} [adopted: ${var.comment}, restored on destroy]"), 0, 100) :
    var.comment
  )
}
