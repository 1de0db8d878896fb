terraform {
  # The cloudflare module's floor (a validation that refers to another variable).
  required_version = ">= 1.9.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100.0"
    }
    cloudflare = {
      source  = "cloudflare/cloudflare"
      version = ">= 5.24.0"
    }
  }
}
