################################################################################
# Identity
################################################################################

output "identities" {
  description = "Per domain: identity ARN, DKIM tokens and key length, configuration set and MAIL FROM domain"
  value = {
    for d, i in aws_sesv2_email_identity.this : d => {
      arn                    = i.arn
      dkim_tokens            = try(i.dkim_signing_attributes[0].tokens, null)
      dkim_key_length        = try(i.dkim_signing_attributes[0].next_signing_key_length, null)
      configuration_set_name = i.configuration_set_name
      mail_from_domain       = aws_sesv2_email_identity_mail_from_attributes.this[d].mail_from_domain
      events_topic_arn       = aws_sns_topic.events[d].arn
    }
  }
}

output "dns_records" {
  description = "Per domain, the DNS records it needs, keyed dkim1..3, mail_from_mx, mail_from_spf, spf, dmarc (name, type, value, priority)"
  value = {
    for d, v in local.domains : d => merge(
      {
        for n in [0, 1, 2] : "dkim${n + 1}" => {
          name     = "${try(aws_sesv2_email_identity.this[d].dkim_signing_attributes[0].tokens[n], "")}._domainkey.${d}"
          type     = "CNAME"
          value    = "${try(aws_sesv2_email_identity.this[d].dkim_signing_attributes[0].tokens[n], "")}.${var.signing_hosted_zones[d]}"
          priority = null
        }
      },
      {
        mail_from_mx = {
          name     = "${v.mail_from_subdomain}.${d}"
          type     = "MX"
          value    = "feedback-smtp.${local.region}.amazonses.com"
          priority = 10
        }
        mail_from_spf = {
          name     = "${v.mail_from_subdomain}.${d}"
          type     = "TXT"
          value    = "v=spf1 include:amazonses.com ~all"
          priority = null
        }
        spf = {
          name     = d
          type     = "TXT"
          value    = "v=spf1 include:amazonses.com ~all"
          priority = null
        }
        dmarc = {
          name = "_dmarc.${d}"
          type = "TXT"
          value = join("; ", compact([
            "v=DMARC1",
            "p=${v.dmarc.policy}",
            v.dmarc.subdomain_policy == null ? "" : "sp=${v.dmarc.subdomain_policy}",
            v.dmarc.pct == 100 ? "" : "pct=${v.dmarc.pct}",
            length(v.dmarc.rua) == 0 ? "" : "rua=${join(",", v.dmarc.rua)}",
            length(v.dmarc.ruf) == 0 ? "" : "ruf=${join(",", v.dmarc.ruf)}",
            v.dmarc.adkim == "r" ? "" : "adkim=${v.dmarc.adkim}",
            v.dmarc.aspf == "r" ? "" : "aspf=${v.dmarc.aspf}",
          ]))
          priority = null
        }
      },
    )
  }
}

################################################################################
# Alarms
################################################################################

output "alarms_topic_arn" {
  description = "SNS topic the reputation alarms notify"
  value       = try(aws_sns_topic.alarms[0].arn, null)
}

################################################################################
# Senders
################################################################################

output "senders" {
  description = "Per sender: kind, domain, IAM principal, current access key ID (smtp/api), the policy it was given, and its keys (current and previous: generation, ID, status, creation date)"
  value = {
    for name, s in local.senders : name => {
      kind          = s.kind
      domain        = s.domain
      from          = s.from
      iam_user_arn  = try(aws_iam_user.this[name].arn, null)
      role          = s.role
      access_key_id = try(local.current_keys[name].id, null)
      policy        = data.aws_iam_policy_document.sender[name].json
      keys = try({
        current = {
          generation    = s.key_generation
          access_key_id = local.current_keys[name].id
          status        = local.current_keys[name].status
          create_date   = local.current_keys[name].create_date
        }
        previous = try({
          generation    = s.key_generation - 1
          access_key_id = local.previous_keys[name].id
          status        = local.previous_keys[name].status
          create_date   = local.previous_keys[name].create_date
        }, null)
      }, null)
    }
  }
}

output "sender_secrets" {
  description = "Per smtp/api sender: its current secret access key and the SMTP password the provider derives for its own region, and the same for the previous key while it is kept"
  value = {
    for name, k in local.current_keys : name => {
      access_key_id     = k.id
      secret_access_key = k.secret
      smtp_password_v4  = k.ses_smtp_password_v4
      previous = try({
        access_key_id     = local.previous_keys[name].id
        secret_access_key = local.previous_keys[name].secret
        smtp_password_v4  = local.previous_keys[name].ses_smtp_password_v4
      }, null)
    }
  }
  sensitive = true
}
