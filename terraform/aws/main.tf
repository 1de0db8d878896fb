data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  domains = var.create ? var.domains : {}

  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
  arn_prefix = "arn:${local.partition}:ses:${local.region}:${local.account_id}"

  # Configuration set names: letters, digits, hyphens, at most 64 characters.
  slugs = { for d in keys(local.domains) : d => replace(d, ".", "-") }
  configuration_set_names = {
    for d, s in local.slugs : d => length(s) <= 64 ? s : "${substr(s, 0, 55)}-${substr(sha1(d), 0, 8)}"
  }

  senders = merge([
    for d, v in local.domains : { for name, s in v.senders : name => merge(s, { domain = d }) }
  ]...)
  key_senders  = { for name, s in local.senders : name => s if s.kind != "role" }
  role_senders = { for name, s in local.senders : name => s if s.kind == "role" }
}

################################################################################
# Identity
################################################################################

# Whether each identity existed before sesame (adopted) and, if so, its settings then:
# frozen at the first apply (ignore_changes), kept in state, read by `sesame destroy` to
# give an adopted identity back instead of deleting it (docs/ownership.md). The identity
# waits for it, so an interrupted first apply cannot hold the identity without this note.
resource "terraform_data" "identity_origin" {
  for_each = local.domains

  input = {
    adopted  = contains(keys(var.identity_originals), each.key)
    original = lookup(var.identity_originals, each.key, null)
  }

  lifecycle {
    ignore_changes = [input]
  }
}

resource "aws_sesv2_email_identity" "this" {
  for_each = local.domains

  depends_on = [terraform_data.identity_origin]

  email_identity         = each.key
  configuration_set_name = aws_sesv2_configuration_set.this[each.key].configuration_set_name

  dkim_signing_attributes {
    next_signing_key_length = var.dkim_signing_key_length
  }

  tags = var.tags
}

################################################################################
# MAIL FROM
################################################################################

resource "aws_sesv2_email_identity_mail_from_attributes" "this" {
  for_each = local.domains

  email_identity         = aws_sesv2_email_identity.this[each.key].email_identity
  mail_from_domain       = "${each.value.mail_from_subdomain}.${each.key}"
  behavior_on_mx_failure = each.value.behavior_on_mx_failure
}

################################################################################
# Configuration set
################################################################################

resource "aws_sesv2_configuration_set" "this" {
  for_each = local.domains

  configuration_set_name = local.configuration_set_names[each.key]

  delivery_options {
    tls_policy = var.tls_policy
  }

  reputation_options {
    reputation_metrics_enabled = true
  }

  sending_options {
    sending_enabled = true
  }

  suppression_options {
    suppressed_reasons = var.suppressed_reasons
  }

  tags = var.tags
}

################################################################################
# Events
################################################################################

locals {
  # The topic's ARN is derived from its name so its policy can be set at creation
  # (a separate aws_sns_topic_policy rewrites the topic's `policy` and drifts forever).
  events_topic_names = { for d, n in local.configuration_set_names : d => "ses-events-${n}" }
}

data "aws_iam_policy_document" "events" {
  for_each = local.domains

  statement {
    sid       = "AllowSESFromThisAccountOnly"
    actions   = ["SNS:Publish"]
    resources = ["arn:${local.partition}:sns:${local.region}:${local.account_id}:${local.events_topic_names[each.key]}"]

    principals {
      type        = "Service"
      identifiers = ["ses.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "AWS:SourceAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "ArnLike"
      variable = "AWS:SourceArn"
      values   = ["${local.arn_prefix}:configuration-set/${local.configuration_set_names[each.key]}"]
    }
  }
}

resource "aws_sns_topic" "events" {
  for_each = local.domains

  name   = local.events_topic_names[each.key]
  policy = data.aws_iam_policy_document.events[each.key].json
  tags   = var.tags
}

resource "aws_sesv2_configuration_set_event_destination" "this" {
  for_each = local.domains

  configuration_set_name = aws_sesv2_configuration_set.this[each.key].configuration_set_name
  event_destination_name = "sns-events"

  event_destination {
    enabled              = true
    matching_event_types = var.event_types

    sns_destination {
      topic_arn = aws_sns_topic.events[each.key].arn
    }
  }
}

################################################################################
# Alarms
################################################################################

locals {
  create_account_resources = var.create && var.create_account_resources
  # The topic's ARN is known from its name: a domain shard's alarms notify the topic the
  # global shard creates.
  alarms_topic_arn = "arn:${local.partition}:sns:${local.region}:${local.account_id}:ses-reputation-alarms"
}

resource "aws_sns_topic" "alarms" {
  count = local.create_account_resources ? 1 : 0

  name = "ses-reputation-alarms"
  tags = var.tags
}

resource "aws_sns_topic_subscription" "alarms" {
  for_each = local.create_account_resources ? toset(var.alarm_emails) : toset([])

  topic_arn = aws_sns_topic.alarms[0].arn
  protocol  = "email"
  endpoint  = each.key
}

locals {
  # Account-wide rates (what AWS reviews) plus each domain's configuration set.
  alarm_scopes = merge(
    local.create_account_resources ? { account = {} } : {},
    { for d, n in local.configuration_set_names : d => { "ses:configuration-set" = n } },
  )
  alarms = merge([
    for scope, dims in local.alarm_scopes : {
      "${scope}/bounce"    = { scope = scope, dimensions = dims, metric = "Reputation.BounceRate", threshold = var.bounce_rate_threshold }
      "${scope}/complaint" = { scope = scope, dimensions = dims, metric = "Reputation.ComplaintRate", threshold = var.complaint_rate_threshold }
    }
  ]...)
}

resource "aws_cloudwatch_metric_alarm" "reputation" {
  for_each = local.alarms

  alarm_name                = "ses-${replace(each.key, "/", "-")}-rate"
  alarm_description         = "SES ${each.value.metric} for ${each.value.scope} at or above ${each.value.threshold * 100} %"
  namespace                 = "AWS/SES"
  metric_name               = each.value.metric
  dimensions                = length(each.value.dimensions) > 0 ? each.value.dimensions : null
  statistic                 = "Average"
  period                    = 3600
  evaluation_periods        = 1
  threshold                 = each.value.threshold
  comparison_operator       = "GreaterThanOrEqualToThreshold"
  treat_missing_data        = "notBreaching"
  alarm_actions             = [try(aws_sns_topic.alarms[0].arn, local.alarms_topic_arn)]
  ok_actions                = [try(aws_sns_topic.alarms[0].arn, local.alarms_topic_arn)]
  insufficient_data_actions = []
  tags                      = var.tags
}

################################################################################
# Senders
################################################################################

# SES authorises a send against every resource it touches: the domain identity (or an
# address identity under it, when one exists) and the configuration set the message uses
# (the identity's default one). Missing any gives "554 Access denied". See docs/iam.md.
data "aws_iam_policy_document" "sender" {
  for_each = local.senders

  statement {
    sid     = "SendAsDomainOnly"
    actions = each.value.kind == "smtp" ? ["ses:SendRawEmail"] : ["ses:SendEmail", "ses:SendRawEmail"]
    resources = [
      "${local.arn_prefix}:identity/${each.value.domain}",
      "${local.arn_prefix}:identity/*@${each.value.domain}",
      "${local.arn_prefix}:configuration-set/${local.configuration_set_names[each.value.domain]}",
    ]

    condition {
      test     = "StringLike"
      variable = "ses:FromAddress"
      values   = each.value.from
    }
  }
}

resource "aws_iam_user" "this" {
  for_each = local.key_senders

  name = each.key
  path = var.iam_path
  tags = merge(var.tags, { "sesame:domain" = each.value.domain, "sesame:kind" = each.value.kind })
}

resource "aws_iam_user_policy" "this" {
  for_each = local.key_senders

  name   = "ses-send-${local.configuration_set_names[each.value.domain]}"
  user   = aws_iam_user.this[each.key].name
  policy = data.aws_iam_policy_document.sender[each.key].json
}

# Rotation without downtime: IAM allows two access keys per user, so a sender's key
# generations alternate between two slots, odd ones in `this` (where generation 1, every
# key made before rotation existed, already lives) and even ones in `alternate`. A rotation
# raises the generation: the plan creates the new key beside the old one, which stays as
# `previous_key` (Active, then Inactive) until `sesame rotate --retire` drops it.
locals {
  key_slots = {
    for name, s in local.key_senders : name => {
      current  = s.key_generation % 2 == 1 ? "this" : "alternate"
      previous = s.previous_key == null ? null : (s.key_generation % 2 == 1 ? "alternate" : "this")
      status   = s.previous_key
    }
  }
}

resource "aws_iam_access_key" "this" {
  for_each = { for name, k in local.key_slots : name => k if k.current == "this" || k.previous == "this" }

  user   = aws_iam_user.this[each.key].name
  status = each.value.current == "this" ? "Active" : each.value.status
}

resource "aws_iam_access_key" "alternate" {
  for_each = { for name, k in local.key_slots : name => k if k.current == "alternate" || k.previous == "alternate" }

  user   = aws_iam_user.this[each.key].name
  status = each.value.current == "alternate" ? "Active" : each.value.status
}

locals {
  slot_keys     = { this = aws_iam_access_key.this, alternate = aws_iam_access_key.alternate }
  current_keys  = { for name, k in local.key_slots : name => local.slot_keys[k.current][name] }
  previous_keys = { for name, k in local.key_slots : name => local.slot_keys[k.previous][name] if k.previous != null }
}

resource "aws_iam_role_policy" "this" {
  for_each = local.role_senders

  name   = "ses-send-${each.key}"
  role   = each.value.role
  policy = data.aws_iam_policy_document.sender[each.key].json
}
