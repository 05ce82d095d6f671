"""Parity of the two IaC paths: one normalised model of the architecture from cloudformation/, one from
terraform/, compared leaf by leaf (docs/decisions.md section 1: both paths describe the same resources with the
same settings).

  model           Model, Difference, compare_models: the comparison itself
  cloudformation  the CloudFormation model: the templates evaluated by fuelflow.cfn_eval
  terraform       the Terraform model: the root module planned by `terraform test` with a mock provider
  normalise       from either engine's evaluated resources to the engine-neutral model

How each side is read, and why:

* CloudFormation: the templates are evaluated the way CloudFormation would for one environment
  (fuelflow.cfn_eval), with a real-looking placeholder account (`normalise.ACCOUNT_ID`) so that the rds
  template's `IsLocalEmulator` condition is false and the real-AWS shape is compared. `Fn::ImportValue`
  is resolved through the exporting template's output, so an import ends where the other engine's
  reference ends: at a resource.
* Terraform: `terraform test` with a `mock_provider "aws"` plans the real root module (the environment's
  var-file; every expression, `count`, `for_each`, `jsonencode`, `templatefile` evaluated by Terraform
  itself) with no AWS account and no emulator, in a throw-away copy of terraform/; `terraform test -json
  -verbose` prints each run's plan (`test_plan`). Ids and ARNs (known only after apply) are made symbolic:
  a second run block overrides every resource's `id` / `arn` with a unique placeholder the provider's
  validators accept (`sg-f0f0...`, `arn:aws:fuelflow:...`, `override_resource` with `override_during =
  plan`), so `security_group_id`, `bucket`, `referenced_security_group_id`... say *which* resource they
  point at. The first run block tells which attributes are really configured (a computed value the mock
  invents is not a setting). Terraform and the provider mirror come from fuelflow.tf.toolchain, as for
  every other Terraform command.
* Without terraform there is no Terraform model: evaluating HCL expressions by hand would be a second,
  unfaithful Terraform. The check then reports that it could not run (validate: "not run"; tests: skipped
  with the reason).

What is deliberately not compared: tags, descriptions, IAM policy / statement names (Sid), rule ids, names
that docs/contract.md does not fix (launch template, parameter group), user data, and how settings are
split into resources (one lifecycle rule or two, one policy or three: the *effective* set is compared).
"""

from __future__ import annotations

from pathlib import Path

from fuelflow.parity.cloudformation import cloudformation_model
from fuelflow.parity.model import Difference, Model, compare_models
from fuelflow.parity.terraform import terraform_available, terraform_model

__all__ = ["Difference", "Model", "cloudformation_model", "compare", "compare_models", "terraform_available",
           "terraform_model"]


def compare(project_dir: Path, env_name: str = "dev", *, plugin_dir: Path | None = None) -> list[Difference]:
    """Build both models for environment `env_name` and return their differences (empty: parity).

    `plugin_dir`: the provider mirror (`fuelflow validate --plugin-dir`), resolved by fuelflow.tf.toolchain.
    Raises InputError when terraform or the AWS provider is not available, FuelflowError when a template
    or the Terraform configuration cannot be evaluated.
    """
    project_dir = Path(project_dir)
    return compare_models(cloudformation_model(project_dir, env_name),
                          terraform_model(project_dir, env_name, plugin_dir=plugin_dir))
