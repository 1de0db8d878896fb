variable "region" {
  description = "AWS region SES sends from"
  type        = string
  default     = "eu-west-1"
}

variable "domain" {
  description = "The sending domain"
  type        = string
  default     = "example.com"
}

variable "zone_id" {
  description = "ID of the Route 53 hosted zone the domain's records go in"
  type        = string
}
