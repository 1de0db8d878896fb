# Credentials: the AWS default chain, and CLOUDFLARE_API_TOKEN from the environment
# (a token with DNS edit on the zone).
provider "aws" {
  region = var.region
}

provider "cloudflare" {}

locals {
  domains = {
    (var.zone_name) = {
      dmarc = { policy = "quarantine", rua = ["mailto:dmarc@${var.zone_name}"] }
      senders = {
        app-smtp = { kind = "smtp", from = ["noreply@${var.zone_name}"] }
        app-api  = { kind = "api", from = ["billing@${var.zone_name}", "receipts@${var.zone_name}"] }
      }
    }
    "news.${var.zone_name}" = {
      mail_from_subdomain = "bounce"
      dmarc               = { policy = "none", rua = ["mailto:dmarc@${var.zone_name}"] }
      senders = {
        newsletter = { kind = "smtp", from = ["letters@news.${var.zone_name}"] }
      }
    }
  }
}

################################################################################
# SES
################################################################################

module "ses" {
  source = "../../aws"

  domains                  = local.domains
  alarm_emails             = var.alarm_emails
  bounce_rate_threshold    = 0.04
  complaint_rate_threshold = 0.001
  tags                     = { example = "complete" }
}

################################################################################
# DNS
################################################################################

module "dns" {
  source = "../../cloudflare"

  # Same keys as the aws module's domains: the module checks that records and domains agree.
  domains = { for d in keys(local.domains) : d => { zone_name = var.zone_name } }
  records = module.ses.dns_records
  comment = "managed by terraform (sesame modules)"
}
