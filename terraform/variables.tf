variable "region" {
  description = "AWS region where SES sends (its SMTP endpoint, DKIM hosts and SMTP passwords depend on it)"
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as eu-west-1."
  }
}

variable "tags" {
  description = "Tags added to every taggable AWS resource"
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "domains" {
  description = "Sending domains keyed by name; see terraform/aws for the object's fields"
  type = map(object({
    mail_from_subdomain    = optional(string, "mail")
    behavior_on_mx_failure = optional(string, "USE_DEFAULT_VALUE")
    dmarc = optional(object({
      policy           = optional(string, "none")
      subdomain_policy = optional(string)
      pct              = optional(number, 100)
      rua              = optional(list(string), [])
      ruf              = optional(list(string), [])
      adkim            = optional(string, "r")
      aspf             = optional(string, "r")
    }), {})
    senders = optional(map(object({
      kind           = string
      from           = list(string)
      role           = optional(string)
      key_generation = optional(number, 1)
      previous_key   = optional(string)
    })), {})
  }))
  nullable = false

  validation {
    condition     = length(var.domains) > 0 || var.shard != null
    error_message = "domains must list at least one sending domain (a shard may have none)."
  }
}

variable "shard" {
  description = "The shard this run plans (sesame.yaml `shards:`, its own state key); null when one state holds everything"
  type        = string
  default     = null

  validation {
    condition     = var.shard == null || can(regex("^[a-z0-9][a-z0-9_-]{0,62}$", coalesce(var.shard, "x")))
    error_message = "shard must be null or 1-63 lowercase letters, digits, - and _."
  }
}

variable "account_resources" {
  description = "Whether this run holds the account-wide resources (alarms topic, its subscriptions, the account alarms): true without shards and in the global shard"
  type        = bool
  default     = true
  nullable    = false
}

variable "alarms" {
  description = "Reputation alarm thresholds (fractions) and the addresses they notify"
  type = object({
    bounce_rate    = optional(number, 0.05)
    complaint_rate = optional(number, 0.001)
    emails         = optional(list(string), [])
  })
  default  = {}
  nullable = false
}

variable "adopt_identities" {
  description = "Configured domains that already exist in SES and are imported instead of created, each with its settings before sesame (given back on destroy)"
  type = map(object({
    configuration_set_name = optional(string)
    mail_from_domain       = optional(string)
    behavior_on_mx_failure = optional(string)
  }))
  default  = {}
  nullable = false

  validation {
    condition     = length(setsubtract(keys(var.adopt_identities), keys(var.domains))) == 0
    error_message = "adopt_identities may only name configured domains."
  }
}

variable "dkim_signing_hosted_zones" {
  description = "Per domain, the zone SES states for its Easy DKIM keys (DkimAttributes.SigningHostedZone, read by sesame from SES; documented fallback before the identity exists)"
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "aws_access_key_id" {
  description = "AWS access key for the provider; null uses the default credential chain"
  type        = string
  default     = null
  ephemeral   = true
  sensitive   = true
}

variable "aws_secret_access_key" {
  description = "AWS secret key for the provider; null uses the default credential chain"
  type        = string
  default     = null
  ephemeral   = true
  sensitive   = true

  validation {
    condition     = (var.aws_access_key_id == null) == (var.aws_secret_access_key == null)
    error_message = "Set both aws_access_key_id and aws_secret_access_key, or neither."
  }
}

variable "aws_endpoints" {
  description = "Service endpoint overrides (the sandbox's local stand-ins); empty in production"
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition = alltrue([for k, v in var.aws_endpoints : (
      contains(["cloudwatch", "iam", "sesv2", "sns", "sts"], k) && can(regex("^https?://", v))
    )])
    error_message = "aws_endpoints keys are cloudwatch, iam, sesv2, sns, sts and values are http(s) URLs."
  }
}

variable "aws_max_retries" {
  description = "Attempts the AWS provider makes on a retryable error (429 throttling, 5xx); null is the provider's default (25)"
  type        = number
  default     = null

  validation {
    condition     = var.aws_max_retries == null ? true : var.aws_max_retries >= 1
    error_message = "aws_max_retries is null (the provider's default) or at least 1."
  }
}

variable "dns" {
  description = "Domains whose DNS sesame manages in Cloudflare: zone name (or ID), whether _dmarc is managed, and the records adopted from before sesame"
  type = map(object({
    zone_name    = string
    zone_id      = optional(string)
    manage_dmarc = optional(bool, true)
    originals = optional(object({
      spf = optional(object({
        content = string
        ttl     = number
        proxied = optional(bool, false)
        comment = optional(string)
      }))
      dmarc = optional(object({
        content = string
        ttl     = number
        proxied = optional(bool, false)
        comment = optional(string)
      }))
    }), {})
  }))
  default  = {}
  nullable = false

  validation {
    condition     = length(setsubtract(keys(var.dns), keys(var.domains))) == 0
    error_message = "dns may only name configured domains."
  }
}

variable "dns_imports" {
  description = "Records to import, keyed <domain>/<record key> (dkim1..3, mail_from_mx, mail_from_spf, spf, dmarc), valued <zone_id>/<record_id>: a pre-existing apex SPF or _dmarc sesame adopts, or a record an interrupted apply made that state does not hold"
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition = alltrue([for k, v in var.dns_imports : (
      can(regex("^[^/]+/(dkim[123]|mail_from_mx|mail_from_spf|spf|dmarc)$", k)) && can(regex("^[0-9a-f]{32}/[0-9a-f]{32}$", v))
    )])
    error_message = "dns_imports keys are <domain>/<dkim1|dkim2|dkim3|mail_from_mx|mail_from_spf|spf|dmarc> and values <zone_id>/<record_id>."
  }
}

variable "aws_imports" {
  description = "AWS objects an interrupted apply of this state made that state does not hold (sesame's journal names them), imported as sesame's: configuration sets and event topics by domain, users by sender, alarms by <scope>/<rate>, the alarms topic under key 0, event destinations by domain; valued with the import ID (name, topic ARN, or <configuration set>|<destination>)"
  type = object({
    configuration_sets = optional(map(string), {})
    users              = optional(map(string), {})
    event_topics       = optional(map(string), {})
    alarms_topic       = optional(map(string), {})
    alarms             = optional(map(string), {})
    event_destinations = optional(map(string), {})
  })
  default  = {}
  nullable = false

  validation {
    condition     = alltrue([for k in keys(var.aws_imports.alarms_topic) : k == "0"])
    error_message = "aws_imports.alarms_topic has at most the key 0 (the one alarms topic)."
  }
  validation {
    condition     = alltrue([for arn in concat(values(var.aws_imports.event_topics), values(var.aws_imports.alarms_topic)) : startswith(arn, "arn:")])
    error_message = "aws_imports topics are valued with their ARN."
  }
}

variable "restore_originals" {
  description = "Put adopted DNS records back as they were before sesame (set for one apply before destroy)"
  type        = bool
  default     = false
  nullable    = false
}

variable "cloudflare_api_token" {
  description = "Cloudflare API token (DNS edit on the zones); ephemeral"
  type        = string
  default     = null
  ephemeral   = true
  sensitive   = true
}

variable "cloudflare_base_url" {
  description = "Cloudflare API base URL override (the sandbox's emulator); null in production"
  type        = string
  default     = null

  validation {
    condition     = var.cloudflare_base_url == null || can(regex("^https?://.+/client/v4$", coalesce(var.cloudflare_base_url, "x")))
    error_message = "cloudflare_base_url must be an http(s) URL ending in /client/v4."
  }
}
