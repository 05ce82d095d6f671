"""Emulator fixes 80-89: what a deployed environment reads back to an independent auditor (Prowler, issue 10).

Registered in `fuelflow.moto_fixes.FIXES` and described in its docstring, with their plain-moto tests in
tests/test_moto_without_fixes.py. Each makes a read-back true that Prowler reported FAIL only because moto
answered differently from AWS.
"""

from __future__ import annotations

from typing import Any

RDS_DEFAULT_KEY_ALIAS = "alias/aws/rds"
PLACEHOLDER_KEY = "default_kms_key_id"  # what moto's RDS answers as the KmsKeyId of an encrypted instance


def fix_subnet_public_ip_and_associations() -> None:
    """80: `AWS::EC2::Subnet` keeps MapPublicIpOnLaunch (moto's CloudFormation engine dropped it, so public
    subnets read back private), and `AWS::EC2::SubnetRouteTableAssociation` associates the subnet with the route
    table as EC2's AssociateRouteTable does (moto only recorded it aside: DescribeRouteTables showed no
    association, so every subnet looked implicitly bound to the main table, without the internet route)."""
    from moto.ec2.models import ec2_backends
    from moto.ec2.models.subnets import Subnet, SubnetRouteTableAssociation

    from fuelflow.moto_fixes import _require

    _require(Subnet, "create_from_cloudformation_json")
    _require(SubnetRouteTableAssociation, "create_from_cloudformation_json")
    subnet_cfn = Subnet.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]
    assoc_cfn = SubnetRouteTableAssociation.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def create_subnet(cls: Any, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str,
                      **kwargs: Any) -> Any:
        subnet = subnet_cfn(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        value = (cloudformation_json.get("Properties") or {}).get("MapPublicIpOnLaunch")
        if value is not None:
            subnet.map_public_ip_on_launch = value is True or str(value).lower() == "true"
        return subnet

    def create_association(cls: Any, resource_name: str, cloudformation_json: Any, account_id: str,
                           region_name: str, **kwargs: Any) -> Any:
        association = assoc_cfn(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        backend = ec2_backends[account_id][region_name]
        table = backend.get_route_table(association.route_table_id)
        if association.subnet_id not in table._associations.values():
            backend.associate_route_table(association.route_table_id, subnet_id=association.subnet_id)
        return association

    Subnet.create_from_cloudformation_json = classmethod(create_subnet)  # type: ignore[assignment,arg-type]
    SubnetRouteTableAssociation.create_from_cloudformation_json = classmethod(  # type: ignore[assignment]
        create_association)  # type: ignore[arg-type]


def fix_enhanced_monitoring_arn() -> None:
    """81: DescribeDBInstances answers EnhancedMonitoringResourceArn (the RDSOSMetrics log stream of the
    instance) when enhanced monitoring is on, as RDS does; moto never answered it."""
    from moto.rds.models import DBInstance

    from fuelflow.moto_fixes import NotNeeded

    if hasattr(DBInstance, "enhanced_monitoring_resource_arn"):
        raise NotNeeded("moto answers EnhancedMonitoringResourceArn")

    def arn(self: Any) -> str | None:
        if not int(getattr(self, "monitoring_interval", 0) or 0):
            return None
        return (f"arn:{self.partition}:logs:{self.region}:{self.account_id}:log-group:RDSOSMetrics:"
                f"log-stream:{self.dbi_resource_id}")

    DBInstance.enhanced_monitoring_resource_arn = property(arn)  # type: ignore[attr-defined]


def fix_encrypted_instance_default_key() -> None:
    """82: an encrypted DB instance created without a KmsKeyId gets RDS's default key (alias/aws/rds, created on
    first use), as RDS does. moto left KmsKeyId empty on the CloudFormation path (and answered the placeholder
    "default_kms_key_id" through the API), and its snapshots (automated ones included) count as encrypted only
    with a key, so an encrypted database's backups read back unencrypted."""
    from moto.kms.models import kms_backends
    from moto.rds.models import DBInstance

    from fuelflow.moto_fixes import _require

    _require(DBInstance, "__init__", "save_automated_backup")
    original = DBInstance.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        if getattr(self, "storage_encrypted", False) and getattr(self, "kms_key_id", None) in (None, "",
                                                                                              PLACEHOLDER_KEY):
            kms = kms_backends[self.account_id][self.region]
            if not kms.alias_exists(RDS_DEFAULT_KEY_ALIAS):
                key = kms.create_key(policy="", key_usage="ENCRYPT_DECRYPT", key_spec="SYMMETRIC_DEFAULT",
                                     description="Default key that protects my RDS database volumes when no other "
                                                 "key is defined", tags=None)
                kms.create_alias(key.id, RDS_DEFAULT_KEY_ALIAS)
            self.kms_key_id = kms.describe_key(RDS_DEFAULT_KEY_ALIAS).arn

    DBInstance.__init__ = init  # type: ignore[method-assign]


RDS_ROTATION_DAYS = 7  # RDS rotates a password it manages every 7 days unless told otherwise


def fix_managed_secret_rotation() -> None:
    """83: the secret RDS creates for a password it manages (ManageMasterUserPassword) has rotation on, every 7
    days, as RDS sets it up; moto created it with rotation off."""
    from moto.rds.models import MasterUserSecret

    from fuelflow.moto_fixes import _require

    _require(MasterUserSecret, "_create_secret")
    original = MasterUserSecret._create_secret

    def create_secret(self: Any, kms_key_id: str | None) -> Any:
        secret = original(self, kms_key_id)
        if not secret.rotation_enabled:
            secret.rotation_enabled = True
            secret.rotation_requested = True  # moto describes rotation only once it was asked for
            secret.auto_rotate_after_days = RDS_ROTATION_DAYS
        return secret

    MasterUserSecret._create_secret = create_secret  # type: ignore[method-assign]
