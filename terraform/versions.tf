terraform {
  # Ephemeral input variables (provider credentials kept out of plans and state) need 1.10+.
  required_version = ">= 1.11.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
    # The pin (Go module build, release, SHA-256 of the shared offline build) is in
    # scripts/sesame/providers.py; a test keeps the two in step.
    cloudflare = {
      source  = "cloudflare/cloudflare"
      version = "5.24.0"
    }
  }
}
