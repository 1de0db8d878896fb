variable "create" {
  description = "Controls whether any resource is created"
  type        = bool
  default     = true
  nullable    = false
}

variable "tags" {
  description = "Tags added to every taggable resource"
  type        = map(string)
  default     = {}
  nullable    = false
}

################################################################################
# Identity
################################################################################

variable "identity_originals" {
  description = "Per domain whose identity existed in SES before sesame (adopted), its settings then; frozen in state so destroy can give the identity back as it was"
  type = map(object({
    configuration_set_name = optional(string)
    mail_from_domain       = optional(string)
    behavior_on_mx_failure = optional(string)
  }))
  default  = {}
  nullable = false
}

variable "domains" {
  description = "Sending domains keyed by domain name: MAIL FROM subdomain, behaviour on MX failure, DMARC and the senders allowed to send as the domain (with each key sender's access key generation and the status of the previous generation's key, kept until retired)"
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
  default  = {}
  nullable = false

  validation {
    condition     = alltrue([for d in keys(var.domains) : can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", d)) && length(d) <= 253])
    error_message = "Each key of domains must be a lowercase fully qualified domain name such as example.com (no trailing dot)."
  }
  validation {
    condition     = alltrue([for d in values(var.domains) : can(regex("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$", d.mail_from_subdomain))])
    error_message = "mail_from_subdomain must be one or more lowercase DNS labels, e.g. \"mail\"."
  }
  validation {
    condition     = alltrue([for d in values(var.domains) : contains(["USE_DEFAULT_VALUE", "REJECT_MESSAGE"], d.behavior_on_mx_failure)])
    error_message = "behavior_on_mx_failure must be USE_DEFAULT_VALUE or REJECT_MESSAGE."
  }
  validation {
    condition = alltrue([for d in values(var.domains) : (
      contains(["none", "quarantine", "reject"], d.dmarc.policy) &&
      (d.dmarc.subdomain_policy == null || contains(["none", "quarantine", "reject"], coalesce(d.dmarc.subdomain_policy, "none"))) &&
      d.dmarc.pct >= 0 && d.dmarc.pct <= 100 && floor(d.dmarc.pct) == d.dmarc.pct &&
      contains(["r", "s"], d.dmarc.adkim) && contains(["r", "s"], d.dmarc.aspf) &&
      alltrue([for u in concat(d.dmarc.rua, d.dmarc.ruf) : can(regex("^mailto:[^@\\s,;!]+@[a-z0-9.-]+\\.[a-z]{2,}(![0-9]+[kmgt]?)?$", u))])
    )])
    error_message = "dmarc: policy and subdomain_policy are none|quarantine|reject, pct an integer 0-100, adkim/aspf r|s, rua/ruf mailto: URIs."
  }
  validation {
    condition = alltrue(flatten([for d, v in var.domains : [for s, sv in v.senders : (
      contains(["smtp", "api", "role"], sv.kind) &&
      can(regex("^[A-Za-z0-9+=,.@_-]{1,56}$", s)) &&
      (sv.kind == "role") == (sv.role != null) &&
      length(sv.from) > 0 &&
      alltrue([for a in sv.from : endswith(a, "@${d}") && can(regex("^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}@", a))])
    )]]))
    error_message = "Each sender has kind smtp|api|role (role senders and only they name a role), a name usable as an IAM user name, and from addresses inside its own domain."
  }
  validation {
    condition = alltrue(flatten([for v in values(var.domains) : [for sv in values(v.senders) : (
      sv.key_generation >= 1 && floor(sv.key_generation) == sv.key_generation &&
      (sv.previous_key == null || contains(["Active", "Inactive"], coalesce(sv.previous_key, "Active"))) &&
      (sv.previous_key == null || sv.key_generation >= 2) &&
      (sv.kind != "role" || (sv.key_generation == 1 && sv.previous_key == null))
    )]]))
    error_message = "key_generation is a whole number from 1; previous_key is null, Active or Inactive and needs generation 2 or later; role senders have no keys to rotate."
  }
  validation {
    condition     = length(flatten([for v in values(var.domains) : keys(v.senders)])) == length(distinct(flatten([for v in values(var.domains) : keys(v.senders)])))
    error_message = "Sender names must be unique across domains: they become IAM user names."
  }
}

variable "signing_hosted_zones" {
  description = "Per domain, the zone SES publishes its Easy DKIM keys in (GetEmailIdentity's DkimAttributes.SigningHostedZone, read by sesame; the provider does not expose it). The DKIM CNAMEs point to <token>.<zone>."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for d in keys(var.domains) : contains(keys(var.signing_hosted_zones), d)])
    error_message = "signing_hosted_zones needs an entry for every domain (sesame reads it from SES)."
  }

  validation {
    condition     = alltrue([for z in values(var.signing_hosted_zones) : can(regex("^([a-z0-9-]+\\.)+[a-z]{2,}$", z))])
    error_message = "signing_hosted_zones values are DNS zone names without a trailing dot, e.g. dkim.amazonses.com."
  }
}

variable "dkim_signing_key_length" {
  description = "Easy DKIM key length (the v1 API cannot choose; 2048 is what mailbox providers expect)"
  type        = string
  default     = "RSA_2048_BIT"
  nullable    = false

  validation {
    condition     = contains(["RSA_1024_BIT", "RSA_2048_BIT"], var.dkim_signing_key_length)
    error_message = "dkim_signing_key_length must be RSA_2048_BIT (recommended) or RSA_1024_BIT."
  }
}

################################################################################
# Configuration set
################################################################################

variable "tls_policy" {
  description = "Whether SES must deliver over TLS (REQUIRE) or may fall back to plaintext (OPTIONAL)"
  type        = string
  default     = "REQUIRE"
  nullable    = false

  validation {
    condition     = contains(["REQUIRE", "OPTIONAL"], var.tls_policy)
    error_message = "tls_policy must be REQUIRE or OPTIONAL."
  }
}

variable "suppressed_reasons" {
  description = "Reasons that put a recipient on the configuration set's suppression list"
  type        = list(string)
  default     = ["BOUNCE", "COMPLAINT"]
  nullable    = false

  validation {
    condition     = alltrue([for r in var.suppressed_reasons : contains(["BOUNCE", "COMPLAINT"], r)]) && length(var.suppressed_reasons) == length(distinct(var.suppressed_reasons))
    error_message = "suppressed_reasons may contain BOUNCE and COMPLAINT, each once."
  }
}

variable "event_types" {
  description = "SES event types sent to each domain's events topic"
  type        = list(string)
  default     = ["BOUNCE", "COMPLAINT", "REJECT", "DELIVERY_DELAY"]
  nullable    = false

  validation {
    condition     = length(var.event_types) > 0 && alltrue([for e in var.event_types : contains(["SEND", "REJECT", "BOUNCE", "COMPLAINT", "DELIVERY", "OPEN", "CLICK", "RENDERING_FAILURE", "DELIVERY_DELAY", "SUBSCRIPTION"], e)])
    error_message = "event_types must be a non-empty list of SES event types (BOUNCE, COMPLAINT, REJECT, DELIVERY_DELAY, ...)."
  }
}

################################################################################
# Alarms
################################################################################

variable "bounce_rate_threshold" {
  description = "Alarm when the SES bounce rate reaches this fraction (AWS reviews accounts at 5 %, pauses at 10 %)"
  type        = number
  default     = 0.05
  nullable    = false

  validation {
    condition     = var.bounce_rate_threshold > 0 && var.bounce_rate_threshold < 1
    error_message = "bounce_rate_threshold is a fraction between 0 and 1, e.g. 0.05 for 5 %."
  }
}

variable "complaint_rate_threshold" {
  description = "Alarm when the SES complaint rate reaches this fraction (AWS reviews accounts at 0.1 %, pauses at 0.5 %)"
  type        = number
  default     = 0.001
  nullable    = false

  validation {
    condition     = var.complaint_rate_threshold > 0 && var.complaint_rate_threshold < 1
    error_message = "complaint_rate_threshold is a fraction between 0 and 1, e.g. 0.001 for 0.1 %."
  }
}

variable "create_account_resources" {
  description = "Controls whether the account-wide resources are created here: the alarms topic, its subscriptions and the account's reputation alarms (false in a domain shard: its domain alarms notify the topic the global shard creates, found by name)"
  type        = bool
  default     = true
  nullable    = false
}

variable "alarm_emails" {
  description = "Email addresses subscribed to the alarms topic"
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for a in var.alarm_emails : can(regex("^[^@\\s]+@[a-z0-9.-]+\\.[a-z]{2,}$", a))])
    error_message = "alarm_emails must be plain email addresses."
  }
}

################################################################################
# Senders
################################################################################

variable "iam_path" {
  description = "IAM path of the sender users"
  type        = string
  default     = "/ses/"
  nullable    = false

  validation {
    condition     = can(regex("^/([A-Za-z0-9+=,.@_-]+/)*$", var.iam_path))
    error_message = "iam_path must start and end with / (e.g. /ses/)."
  }
}
