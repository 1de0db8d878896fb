terraform {
  # Cloudflare R2 through the S3 backend, with R2's documented settings.
  # sesame writes the rest (bucket, key, endpoints.s3, profile, shared_config_files) to
  # a backend file in its private work dir: settings only, never credentials. R2's keys
  # reach the backend through that profile's credential_process (docs/state.md).
  backend "s3" {
    region                      = "auto"
    use_lockfile                = true
    use_path_style              = true
    skip_credentials_validation = true
    skip_metadata_api_check     = true
    skip_region_validation      = true
    skip_requesting_account_id  = true
    skip_s3_checksum            = true
  }
}
