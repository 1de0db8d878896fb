provider "aws" {
  region = var.region

  # Ephemeral: never written to a saved plan or to state. Both null means the default
  # credential chain (instance role, SSO profile).
  access_key = var.aws_access_key_id
  secret_key = var.aws_secret_access_key

  # Local stand-ins answer at once, so few retries are needed, but not none: a keep-alive
  # connection the stand-in closed must be retried, not fail the run (measured in CI:
  # "use of closed network connection" on one SNS read with a single attempt).
  max_retries                 = length(var.aws_endpoints) > 0 ? 3 : null
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
