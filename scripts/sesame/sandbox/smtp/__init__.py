"""The sandbox's Amazon SES SMTP endpoint (`server.SmtpServer`)."""
