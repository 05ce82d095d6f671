"""The Terraform path: run `terraform` on a work copy of terraform/ for one environment and target.

  toolchain  the terraform binary, the provider mirror, the CLI config and the environment of every
             terraform command (also used by `validate` and `parity`)
  workcopy   copying terraform/ where terraform may write
  source     what a Terraform directory declares, read with python-hcl2
  render     the override and backend files written into the work copy
  state      the state backend (S3 bucket and lock table) and reading it with boto3
  runner     one terraform command, streamed, its errors as one line
  plans      terraform's JSON plans and outputs, reduced
  session    one environment on one target: its work copy and the commands run there
  ops        bootstrap, unbootstrap, plan, apply, destroy, outputs, status
"""
