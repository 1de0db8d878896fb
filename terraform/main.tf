module "aws" {
  source = "./aws"

  domains                  = var.domains
  signing_hosted_zones     = var.dkim_signing_hosted_zones
  tags                     = var.tags
  bounce_rate_threshold    = var.alarms.bounce_rate
  complaint_rate_threshold = var.alarms.complaint_rate
  alarm_emails             = var.alarms.emails
  create_account_resources = var.account_resources
  identity_originals       = var.adopt_identities
}

# A domain already verified in SES (made by hand, or by an earlier tool) is adopted into
# state rather than failing with "already exists". sesame lists the configured domains
# SES already knows; a block whose target is already in state is a no-op.
import {
  for_each = var.adopt_identities
  to       = module.aws.aws_sesv2_email_identity.this[each.key]
  id       = each.key
}

# What an interrupted apply of this state made but never recorded (sesame's journal names
# it; docs/ownership.md): imported as sesame's instead of refused as "already exists".
import {
  for_each = var.aws_imports.configuration_sets
  to       = module.aws.aws_sesv2_configuration_set.this[each.key]
  id       = each.value
}

import {
  for_each = var.aws_imports.users
  to       = module.aws.aws_iam_user.this[each.key]
  id       = each.value
}

import {
  for_each = var.aws_imports.event_topics
  to       = module.aws.aws_sns_topic.events[each.key]
  id       = each.value
}

import {
  for_each = var.aws_imports.alarms_topic
  to       = module.aws.aws_sns_topic.alarms[0]
  id       = each.value
}

import {
  for_each = var.aws_imports.event_destinations
  to       = module.aws.aws_sesv2_configuration_set_event_destination.this[each.key]
  id       = each.value
}

import {
  for_each = var.aws_imports.alarms
  to       = module.aws.aws_cloudwatch_metric_alarm.reputation[each.key]
  id       = each.value
}

module "cloudflare" {
  source = "./cloudflare"

  domains           = var.dns
  records           = { for d in keys(var.dns) : d => module.aws.dns_records[d] }
  restore_originals = var.restore_originals
}

# An apex SPF or _dmarc record that existed before sesame is adopted (then merged into,
# or replaced as the configuration says) instead of a second record being created; a
# record an interrupted apply made but never recorded is imported as sesame's own
# (sesame.dns.orphans).
import {
  for_each = var.dns_imports
  to       = module.cloudflare.cloudflare_dns_record.this[each.key]
  id       = each.value
}
