variable "region" {
  description = "AWS region SES sends from"
  type        = string
  default     = "eu-west-1"
}

variable "zones" {
  description = "Per sending domain, the ID of the Route 53 hosted zone its records go in"
  type        = map(string)

  validation {
    condition     = length(var.zones) > 0 && alltrue([for z in values(var.zones) : can(regex("^Z[A-Z0-9]{1,31}$", z))])
    error_message = "zones maps each sending domain to a hosted zone ID such as Z0123456789ABCDEFGHIJ."
  }
}

variable "signing_hosted_zone" {
  description = "The zone SES publishes Easy DKIM keys in for this region (GetEmailIdentity's DkimAttributes.SigningHostedZone)"
  type        = string
  default     = "dkim.amazonses.com"
}
