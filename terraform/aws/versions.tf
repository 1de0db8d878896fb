terraform {
  # The newest language feature used here: terraform_data (1.4), after optional() object
  # attributes with defaults and endswith() (1.3). Callers pin exactly; a module only sets
  # its floor (style.md T6).
  required_version = ">= 1.4.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100.0"
    }
  }
}
