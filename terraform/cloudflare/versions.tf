terraform {
  # The newest language feature used here: a validation that refers to another variable
  # (`records` checked against `domains`, 1.9). Also terraform_data (1.4), strcontains()
  # (1.5), optional() with defaults (1.3). Callers pin exactly; a module only sets its
  # floor (style.md T6).
  required_version = ">= 1.9.0"

  required_providers {
    cloudflare = {
      source  = "cloudflare/cloudflare"
      version = ">= 5.24.0"
    }
  }
}
