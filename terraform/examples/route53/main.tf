provider "aws" {
  region = var.region
}

################################################################################
# SES
################################################################################

module "ses" {
  source = "../../aws"

  # the zone SES states as DkimAttributes.SigningHostedZone (dkim.amazonses.com in most regions)
  signing_hosted_zones = { (var.domain) = "dkim.amazonses.com" }

  domains = {
    (var.domain) = {
      dmarc = { policy = "quarantine", rua = ["mailto:dmarc@${var.domain}"] }
      senders = {
        app-api = { kind = "api", from = ["noreply@${var.domain}"] }
      }
    }
  }
  tags = { example = "route53" }
}

################################################################################
# DNS
################################################################################

resource "aws_route53_record" "this" {
  # Static keys (dkim1..3, mail_from_mx, mail_from_spf, spf, dmarc): the values, DKIM
  # tokens among them, are known only after apply.
  for_each = toset(["dkim1", "dkim2", "dkim3", "mail_from_mx", "mail_from_spf", "spf", "dmarc"])

  zone_id = var.zone_id
  name    = module.ses.dns_records[var.domain][each.key].name
  type    = module.ses.dns_records[var.domain][each.key].type
  ttl     = 3600
  records = [
    module.ses.dns_records[var.domain][each.key].type == "MX"
    ? "${module.ses.dns_records[var.domain][each.key].priority} ${module.ses.dns_records[var.domain][each.key].value}"
    : module.ses.dns_records[var.domain][each.key].value
  ]
}
