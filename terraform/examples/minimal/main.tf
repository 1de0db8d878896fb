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
      senders = {
        app-smtp = { kind = "smtp", from = ["noreply@${var.domain}"] }
      }
    }
  }
}
