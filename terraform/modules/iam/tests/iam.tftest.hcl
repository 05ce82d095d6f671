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
  environment  = "dev"
  bucket_arns = {
    app_data = "arn:aws:s3:::fuel-flow-app-data-dev-123456789012-us-east-1"
    logs     = "arn:aws:s3:::fuel-flow-logs-dev-123456789012-us-east-1"
    backups  = "arn:aws:s3:::fuel-flow-backups-dev-123456789012-us-east-1"
  }
}

run "roles_are_named_per_contract" {
  command = plan

  assert {
    condition     = aws_iam_role.ec2.name == "fuel-flow-ec2-role-dev" && aws_iam_role.rds_monitoring.name == "fuel-flow-rds-monitoring-role-dev" && aws_iam_role.lambda.name == "fuel-flow-lambda-role-dev"
    error_message = "Role names must follow docs/contract.md."
  }

  assert {
    condition     = aws_iam_instance_profile.ec2.name == "fuel-flow-ec2-profile-dev"
    error_message = "The instance profile must be named <project>-ec2-profile-<env>."
  }

  assert {
    condition     = jsondecode(aws_iam_role.ec2.assume_role_policy).Statement[0].Principal.Service == "ec2.amazonaws.com"
    error_message = "Only EC2 may assume the EC2 role."
  }

  assert {
    condition     = jsondecode(aws_iam_role.rds_monitoring.assume_role_policy).Statement[0].Principal.Service == "monitoring.rds.amazonaws.com"
    error_message = "Only RDS enhanced monitoring may assume the monitoring role."
  }

  assert {
    condition     = jsondecode(aws_iam_role.rds_monitoring.assume_role_policy).Statement[0].Condition.StringEquals["aws:SourceAccount"] == "123456789012"
    error_message = "The monitoring role may only be assumed on behalf of this account (confused deputy)."
  }

  assert {
    condition     = jsondecode(aws_iam_role.lambda.assume_role_policy).Statement[0].Principal.Service == "lambda.amazonaws.com"
    error_message = "Only Lambda may assume the Lambda role."
  }
}

run "managed_policies" {
  command = plan

  assert {
    condition     = aws_iam_role_policy_attachment.ec2_ssm.policy_arn == "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
    error_message = "The EC2 role needs the SSM core policy (Session Manager instead of SSH)."
  }

  assert {
    condition     = aws_iam_role_policy_attachment.rds_monitoring.policy_arn == "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
    error_message = "The monitoring role needs AmazonRDSEnhancedMonitoringRole."
  }

  assert {
    condition     = aws_iam_role_policy_attachment.lambda_basic.policy_arn == "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
    error_message = "The Lambda role needs AWSLambdaBasicExecutionRole."
  }
}

run "least_privilege" {
  command = plan

  # No statement anywhere grants an action on "*", and no action is a bare "*".
  assert {
    condition = alltrue(flatten([
      for p in [aws_iam_role_policy.ec2_s3, aws_iam_role_policy.ec2_logs, aws_iam_role_policy.ec2_agent_config, aws_iam_role_policy.ec2_db_secret, aws_iam_role_policy.lambda_s3] : [
        for st in jsondecode(p.policy).Statement : [
          !contains(flatten([st.Resource]), "*"),
          !contains(flatten([st.Action]), "*"),
          alltrue([for a in flatten([st.Action]) : !endswith(a, ":*")]),
        ]
      ]
    ]))
    error_message = "Inline policies must name their actions and resources: no \"*\" resources, no wildcard actions."
  }

  assert {
    condition = [for st in jsondecode(aws_iam_role_policy.ec2_s3.policy).Statement : [st.Action, st.Resource] if st.Sid != "ListFuelFlowBuckets"] == [
      [["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], "arn:aws:s3:::fuel-flow-app-data-dev-123456789012-us-east-1/*"],
      [["s3:GetObject", "s3:PutObject"], "arn:aws:s3:::fuel-flow-backups-dev-123456789012-us-east-1/*"],
      ["s3:PutObject", "arn:aws:s3:::fuel-flow-logs-dev-123456789012-us-east-1/app/*"],
    ]
    error_message = "Objects: app-data read/write/delete, backups read and add (no delete), logs only PutObject under app/ (DECISIONS 17.3)."
  }

  assert {
    condition     = jsondecode(aws_iam_role.lambda.assume_role_policy).Statement[0].Condition.StringEquals["aws:SourceAccount"] == "123456789012"
    error_message = "Lambda may assume its role only for functions of this account (confused deputy, DECISIONS 17.2)."
  }

  assert {
    condition = jsondecode(aws_iam_role_policy.ec2_logs.policy).Statement[0].Resource == [
      "arn:aws:logs:us-east-1:123456789012:log-group:/fuel-flow/dev/apache/access",
      "arn:aws:logs:us-east-1:123456789012:log-group:/fuel-flow/dev/apache/access:log-stream:*",
      "arn:aws:logs:us-east-1:123456789012:log-group:/fuel-flow/dev/apache/error",
      "arn:aws:logs:us-east-1:123456789012:log-group:/fuel-flow/dev/apache/error:log-stream:*",
      "arn:aws:logs:us-east-1:123456789012:log-group:/fuel-flow/dev/system",
      "arn:aws:logs:us-east-1:123456789012:log-group:/fuel-flow/dev/system:log-stream:*",
    ]
    error_message = "Log writes must be limited to the three log groups the CloudWatch agent ships to."
  }

  assert {
    condition     = jsondecode(aws_iam_role_policy.ec2_agent_config.policy).Statement == [{ Sid = "ReadAgentConfiguration", Effect = "Allow", Action = "ssm:GetParameter", Resource = "arn:aws:ssm:us-east-1:123456789012:parameter/fuel-flow/dev/cloudwatch-agent" }]
    error_message = "The instance role reads the CloudWatch agent's configuration parameter and nothing else in SSM."
  }

  assert {
    condition     = jsondecode(aws_iam_role_policy.ec2_db_secret.policy).Statement[0].Resource == ["arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-*"]
    error_message = "Secret access must be limited to RDS-managed secrets (rds!db-*)."
  }

  assert {
    condition     = jsondecode(aws_iam_role_policy.ec2_db_secret.policy).Statement[0].Condition.StringEquals["secretsmanager:ResourceTag/aws:rds:primaryDBInstanceArn"] == "arn:aws:rds:us-east-1:123456789012:db:fuel-flow-db-dev"
    error_message = "Secret access must be conditioned on the secret belonging to <project>-db-<env>."
  }
}

run "rejects_bad_project_name" {
  command = plan

  variables {
    project_name = "9lives"
  }

  expect_failures = [var.project_name]
}

run "rejects_unknown_environment" {
  command = plan

  variables {
    environment = "qa-"
  }

  expect_failures = [var.environment]
}

run "rejects_wildcard_bucket_arn" {
  command = plan

  variables {
    bucket_arns = { app_data = "arn:aws:s3:::*", logs = "arn:aws:s3:::l", backups = "arn:aws:s3:::b" }
  }

  expect_failures = [var.bucket_arns]
}

run "rejects_a_missing_bucket" {
  command = plan

  variables {
    bucket_arns = { app_data = "arn:aws:s3:::a", logs = "arn:aws:s3:::l" }
  }

  expect_failures = [var.bucket_arns]
}
