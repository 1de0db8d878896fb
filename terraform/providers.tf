provider "aws" {
  region = var.region

  # Ephemeral: never written to a saved plan or to state. Both null means the default
  # credential chain (instance role, SSO profile).
  access_key = var.aws_access_key_id
  secret_key = var.aws_secret_access_key

  # null in production: the provider's default. The sandbox passes 3 (its stand-ins answer
  # at once, but a keep-alive connection one closed must be retried: measured in CI) unless
  # it emulates SES's rate limits; then the default, as against AWS (docs/scale.md).
  max_retries                 = var.aws_max_retries
  skip_metadata_api_check     = length(var.aws_endpoints) > 0
  skip_credentials_validation = length(var.aws_endpoints) > 0

  dynamic "endpoints" {
    for_each = length(var.aws_endpoints) > 0 ? [var.aws_endpoints] : []

    content {
      cloudwatch = lookup(endpoints.value, "cloudwatch", null)
      iam        = lookup(endpoints.value, "iam", null)
      sesv2      = lookup(endpoints.value, "sesv2", null)
      sns        = lookup(endpoints.value, "sns", null)
      sts        = lookup(endpoints.value, "sts", null)
    }
  }

  default_tags {
    tags = { "managed-by" = "sesame" }
  }
}

provider "cloudflare" {
  # Ephemeral: never written to a saved plan or to state.
  api_token = var.cloudflare_api_token
  base_url  = var.cloudflare_base_url
}
