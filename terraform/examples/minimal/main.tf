provider "aws" {
  region = var.region
}

################################################################################
# SES
################################################################################

module "ses" {
  source = "../../aws"

  domains = {
    (var.domain) = {
      senders = {
        app-smtp = { kind = "smtp", from = ["noreply@${var.domain}"] }
      }
    }
  }
}
