variable "region" {
  description = "AWS region SES sends from"
  type        = string
  default     = "eu-west-1"
}

variable "domain" {
  description = "The sending domain (its DNS is yours to edit by hand)"
  type        = string
  default     = "example.com"
}
