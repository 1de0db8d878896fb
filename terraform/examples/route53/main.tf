provider "aws" {
  region = var.region
}

locals {
  # The record keys of the aws module's dns_records: static, because the values (DKIM tokens
  # among them) are known only after apply, and for_each keys must be known at plan.
  record_keys = ["dkim1", "dkim2", "dkim3", "mail_from_mx", "mail_from_spf", "spf", "dmarc"]

  # domain/key => where the record goes
  records = {
    for pair in setproduct(keys(var.zones), local.record_keys) :
    "${pair[0]}/${pair[1]}" => { domain = pair[0], key = pair[1], zone_id = var.zones[pair[0]] }
  }
}

################################################################################
# SES
################################################################################

module "ses" {
  source = "../../aws"

  # Per domain, the zone SES states as DkimAttributes.SigningHostedZone
  # (dkim.amazonses.com in most regions; read it with `aws sesv2 get-email-identity`).
  signing_hosted_zones = { for d in keys(var.zones) : d => var.signing_hosted_zone }

  domains = {
    for d in keys(var.zones) : d => {
      dmarc = { policy = "quarantine", rua = ["mailto:dmarc@${d}"] }
      senders = {
        # IAM user names are unique in the account: one API sender per domain
        "${replace(d, ".", "-")}-api" = { kind = "api", from = ["noreply@${d}"] }
      }
    }
  }
  tags = { example = "route53" }
}

################################################################################
# DNS
################################################################################

resource "aws_route53_record" "this" {
  for_each = local.records

  zone_id = each.value.zone_id
  name    = module.ses.dns_records[each.value.domain][each.value.key].name
  type    = module.ses.dns_records[each.value.domain][each.value.key].type
  ttl     = 3600
  records = [
    module.ses.dns_records[each.value.domain][each.value.key].type == "MX"
    ? "${module.ses.dns_records[each.value.domain][each.value.key].priority} ${module.ses.dns_records[each.value.domain][each.value.key].value}"
    : module.ses.dns_records[each.value.domain][each.value.key].value
  ]
}
