# Remote state in the S3 bucket that `terraform/bootstrap` creates (module terraform-state).
#
# Deliberately a *partial* configuration: nothing account- or environment-specific is committed.
# `fuelflow` (or a human) supplies the rest at init time, for example:
#
#   terraform init \
#     -backend-config="bucket=fuel-flow-tfstate-dev-123456789012-us-east-1" \
#     -backend-config="key=fuel-flow/dev/terraform.tfstate" \
#     -backend-config="region=us-east-1" \
#     -backend-config="encrypt=true" \
#     -backend-config="use_lockfile=true" \
#     -backend-config="dynamodb_table=fuel-flow-tflock-dev"
#
# `terraform output -json backend_config` in terraform/bootstrap prints exactly these values.
# Both lock mechanisms are used (DECISIONS 5): the S3 lock file (Terraform >= 1.10) and the
# DynamoDB LockID table, so older tooling that only knows the table still respects the lock.
# For offline checks use `terraform init -backend=false`.
terraform {
  backend "s3" {}
}
