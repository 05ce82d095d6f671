# Bootstrap root: creates the remote-state backend (S3 state bucket + DynamoDB lock table) of one
# environment. `fuelflow tf bootstrap` applies it with local state, then migrates that state into the
# bucket it just created (see README.md). It has no backend block of its own on purpose.

module "terraform_state" {
  source = "../modules/terraform-state"

  project_name = var.project_name
  environment  = var.environment
  alarm_emails = var.monitoring.alarm_emails
}

locals {
  # The -backend-config values of the main root (terraform/backend.tf).
  backend_config = {
    bucket         = module.terraform_state.state_bucket_name
    key            = "${var.project_name}/${var.environment}/terraform.tfstate"
    region         = module.terraform_state.region
    dynamodb_table = module.terraform_state.lock_table_name
    encrypt        = true
    use_lockfile   = true
  }
}
