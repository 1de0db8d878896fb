variable "region" {
  description = "AWS region SES sends from"
  type        = string
  default     = "eu-west-1"
}

variable "zone_name" {
  description = "The Cloudflare zone the sending domains are in"
  type        = string
  default     = "example.com"
}

variable "alarm_emails" {
  description = "Addresses told when the bounce or complaint rate reaches its alarm threshold"
  type        = list(string)
  default     = []
}
