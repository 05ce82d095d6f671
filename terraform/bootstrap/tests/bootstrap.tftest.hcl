# Offline: mock AWS provider, plan only.

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
    }
  }

  mock_data "aws_region" {
    defaults = {
      name = "us-east-1"
    }
  }

  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }
}

variables {
  project_name = "fuel-flow"
  environment  = "prod"
  region       = "us-east-1"
  tags         = { Project = "fuel-flow", Environment = "prod" }
}

run "backend_config_for_the_main_root" {
  command = plan

  assert {
    condition     = output.state_bucket_name == "fuel-flow-tfstate-prod-123456789012-us-east-1"
    error_message = "The state bucket must be named <project>-tfstate-<env>-<account>-<region>."
  }

  assert {
    condition     = output.backend_config.key == "fuel-flow/prod/terraform.tfstate" && output.backend_config.region == "us-east-1"
    error_message = "backend_config must carry the state key <project>/<env>/terraform.tfstate and the region."
  }

  assert {
    condition     = output.backend_config.bucket == output.state_bucket_name && output.backend_config.encrypt && output.backend_config.use_lockfile
    error_message = "backend_config must point at the state bucket, with encryption and S3-native locking on."
  }

  assert {
    condition     = output.bootstrap_state_key == "fuel-flow/prod/bootstrap.tfstate"
    error_message = "The bootstrap's own state key must be <project>/<env>/bootstrap.tfstate."
  }
}

run "rejects_unknown_environment" {
  command = plan

  variables {
    environment = "stage-"
  }

  expect_failures = [var.environment]
}

run "rejects_bad_project_name" {
  command = plan

  variables {
    project_name = "FuelFlow"
  }

  expect_failures = [var.project_name]
}

run "rejects_bad_region" {
  command = plan

  variables {
    region = "useast1"
  }

  expect_failures = [var.region]
}

run "rejects_aws_prefixed_tag" {
  command = plan

  variables {
    tags = { "aws:owner" = "me" }
  }

  expect_failures = [var.tags]
}

run "lock_alarm_notifies_the_backend_topic_and_its_subscribers" {
  command = plan

  variables {
    # The environment var-file's whole `monitoring` object: only alarm_emails is read.
    monitoring = { alarm_emails = ["ops@example.com"], web_cpu_percent = 80 }
  }

  assert {
    condition     = output.lock_alarm_name == "fuel-flow-tflock-prod-throttled"
    error_message = "The bootstrap must create the lock table's throttling alarm."
  }

  assert {
    condition     = jsonencode(module.terraform_state.alarm_email_subscriptions) == jsonencode(["ops@example.com"])
    error_message = "monitoring.alarm_emails must be subscribed to the state backend's topic."
  }
}

run "rejects_three_alarm_emails" {
  command = plan

  variables {
    monitoring = { alarm_emails = ["a@example.com", "b@example.com", "c@example.com"] }
  }

  expect_failures = [var.monitoring]
}
