"""DNS: the zones preflight (Cloudflare, read-only), SPF, and the records a domain needs."""
