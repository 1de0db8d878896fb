terraform {
  # Ephemeral input variables (provider credentials kept out of plans and state) need 1.10+.
  required_version = ">= 1.11.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
  }
}
