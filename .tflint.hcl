# tflint (make lint, pre-commit): only the bundled terraform ruleset's rules for typed and
# documented variables and outputs, naming and the standard module structure (style.md T8).
config {
  disabled_by_default = true
  call_module_type    = "local"
}

plugin "terraform" {
  enabled = true
}

rule "terraform_typed_variables" {
  enabled = true
}

rule "terraform_documented_variables" {
  enabled = true
}

rule "terraform_documented_outputs" {
  enabled = true
}

rule "terraform_naming_convention" {
  enabled = true
}

rule "terraform_standard_module_structure" {
  enabled = true
}
