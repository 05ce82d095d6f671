terraform {
  # >= 1.10: S3-native state locking (use_lockfile) and mock providers in `terraform test`.
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.60, < 6.0"
    }
  }
}
