"""Terraform: the root module run as a process, its inputs, backend, state, plans and providers."""
