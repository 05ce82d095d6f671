"""Fidelity fixes for the embedded emulator (moto 5.x), applied in this process only.

Each fix makes moto do what AWS documents, where moto's CloudFormation engine or EC2 model falls short
in a way that would break this architecture locally. None of them changes what the tool sends or how
it reads answers: with `--target aws` nothing here runs. What moto still does not model is reported by
the tool as such (see `emulator.skipped_resource_types` and the audit's "not checked").

1. Change sets see and publish exports. moto creates the stack of a CREATE change set without the
   account's exports (its Fn::ImportValue fails) and executes a change set without rebuilding the stack's
   outputs or registering its exports.
2. `Ref` to an `AWS::RDS::DBParameterGroup` yields its name (moto returned the model object).
3. `AWS::RDS::DBInstance` keeps the properties moto's CloudFormation engine drops: VPCSecurityGroups,
   ManageMasterUserPassword (the secret is created in moto's Secrets Manager, as RDS does),
   EnableCloudwatchLogsExports, MonitoringInterval/MonitoringRoleArn, DeletionProtection and
   EnableIAMDatabaseAuthentication; and `Fn::GetAtt DB.MasterUserSecret.SecretArn` answers.
4. An instance's primary network interface, created at launch, is deleted on termination (the AWS
   default), so a VPC whose instances are terminated can be deleted.
5. Deleting a stack deletes its route tables, routes, subnet associations, internet gateway (and its
   attachment) and VPC endpoints; moto's CloudFormation engine had no delete for them, so the VPC could
   never be deleted.
"""

from __future__ import annotations

from typing import Any

_APPLIED: list[str] = []


def _bool(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def apply() -> list[str]:
    """Apply every fix once; return their names (for `fuelflow local` and the tests)."""
    if _APPLIED:
        return list(_APPLIED)
    _fix_change_sets()
    _fix_parameter_group_ref()
    _fix_db_instance_properties()
    _fix_primary_nic_delete_on_termination()
    _fix_network_deletes()
    return list(_APPLIED)


def _fix_change_sets() -> None:
    from moto.cloudformation.models import CloudFormationBackend, Stack, cloudformation_backends

    original_init = Stack.__init__

    def stack_init(self: Any, *args: Any, **kwargs: Any) -> None:
        if not kwargs.get("cross_stack_resources") and "account_id" in kwargs and "region_name" in kwargs:
            backend = cloudformation_backends[kwargs["account_id"]][kwargs["region_name"]]
            kwargs["cross_stack_resources"] = backend.exports
        original_init(self, *args, **kwargs)

    original_execute = CloudFormationBackend.execute_change_set

    def execute_change_set(self: Any, change_set_name: str, stack_name: str | None = None) -> None:
        original_execute(self, change_set_name, stack_name)
        change_set = self.change_sets.get(change_set_name) or next(
            (cs for cs in self.change_sets.values() if cs.change_set_name == change_set_name), None)
        if change_set is None:
            return
        stack = self.stacks[change_set.stack_id]
        stack._parse_template()  # the change set's template, which moto set but did not parse
        stack.output_map = stack._create_output_map()
        for export in stack.exports:
            self.exports[export.name] = export

    Stack.__init__ = stack_init  # type: ignore[method-assign]
    CloudFormationBackend.execute_change_set = execute_change_set  # type: ignore[method-assign]
    _APPLIED.append("change sets see and publish exports")


def _fix_parameter_group_ref() -> None:
    from moto.rds.models import DBParameterGroup

    DBParameterGroup.physical_resource_id = property(lambda self: self.name)  # type: ignore[attr-defined]
    _APPLIED.append("Ref to a DB parameter group yields its name")


def _fix_db_instance_properties() -> None:
    from moto.rds.models import DBInstance, MasterUserSecret

    original_create = DBInstance.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def create_from_cloudformation_json(cls: Any, resource_name: str, cloudformation_json: Any, account_id: str,
                                        region_name: str, **kwargs: Any) -> Any:
        props = cloudformation_json.get("Properties", {})
        db = original_create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        if props.get("VPCSecurityGroups"):
            db.vpc_security_group_ids = list(props["VPCSecurityGroups"])
        if "EnableCloudwatchLogsExports" in props:
            db.enabled_cloudwatch_logs_exports = list(props["EnableCloudwatchLogsExports"])
        if "DeletionProtection" in props:
            db.deletion_protection = _bool(props["DeletionProtection"])
        if "EnableIAMDatabaseAuthentication" in props:
            db.enable_iam_database_authentication = _bool(props["EnableIAMDatabaseAuthentication"])
        if int(props.get("MonitoringInterval", 0) or 0) > 0:
            db.monitoring_interval = int(props["MonitoringInterval"])
            db.monitoring_role_arn = props.get("MonitoringRoleArn")
        if _bool(props.get("ManageMasterUserPassword")) and getattr(db, "master_user_secret", None) is None:
            db.manage_master_user_password = True
            db.master_user_secret = MasterUserSecret(db, (props.get("MasterUserSecret") or {}).get("KmsKeyId"))
        return db

    original_getatt = DBInstance.get_cfn_attribute

    def get_cfn_attribute(self: Any, attribute_name: str) -> Any:
        if attribute_name == "MasterUserSecret.SecretArn" and getattr(self, "master_user_secret", None):
            return self.master_user_secret.secret_arn
        return original_getatt(self, attribute_name)

    DBInstance.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)  # type: ignore[assignment,arg-type]
    DBInstance.get_cfn_attribute = get_cfn_attribute  # type: ignore[method-assign]
    _APPLIED.append("DB instances keep security groups, managed secret, log exports, monitoring, protection")


def _fix_primary_nic_delete_on_termination() -> None:
    from moto.ec2.models.instances import Instance

    original = Instance.prep_nics

    def prep_nics(self: Any, nic_spec: list[dict[str, Any]], *args: Any, **kwargs: Any) -> None:
        original(self, nic_spec, *args, **kwargs)
        given = {int(n.get("DeviceIndex", 0)): n for n in nic_spec or []}
        primary = self.nics.get(0)
        spec = given.get(0, {})
        if primary is not None and "NetworkInterfaceId" not in spec and "DeleteOnTermination" not in spec:
            primary.delete_on_termination = True

    Instance.prep_nics = prep_nics  # type: ignore[method-assign]
    _APPLIED.append("an instance's primary network interface is deleted with it")


def _fix_network_deletes() -> None:
    from moto.ec2.models import ec2_backends
    from moto.ec2.models.internet_gateways import InternetGateway
    from moto.ec2.models.route_tables import Route, RouteTable
    from moto.ec2.models.subnets import SubnetRouteTableAssociation
    from moto.ec2.models.vpcs import VPCEndPoint
    from moto.ec2.models.vpn_gateway import VPCGatewayAttachment

    def ec2(account_id: str, region_name: str) -> Any:
        return ec2_backends[account_id][region_name]

    def delete_association(self: Any, account_id: str, region_name: str) -> None:
        table = ec2(account_id, region_name).get_route_table(self.route_table_id)
        for association_id, subnet_id in list(table._associations.items()):
            if subnet_id == self.subnet_id:
                table._associations.pop(association_id)

    def delete_attachment(self: Any, account_id: str, region_name: str) -> None:
        if str(self.gateway_id).startswith("igw-"):
            ec2(account_id, region_name).detach_internet_gateway(self.gateway_id, self.vpc_id)

    deletes: dict[type, Any] = {
        SubnetRouteTableAssociation: delete_association,
        Route: lambda self, a, r: ec2(a, r).delete_route(self.route_table.id, self.destination_cidr_block),
        RouteTable: lambda self, a, r: ec2(a, r).delete_route_table(self.id),
        VPCGatewayAttachment: delete_attachment,
        InternetGateway: lambda self, a, r: ec2(a, r).delete_internet_gateway(self.id),
        VPCEndPoint: lambda self, a, r: ec2(a, r).delete_vpc_endpoints([self.id]),
    }
    def idempotent(delete: Any) -> Any:
        def run(self: Any, account_id: str, region_name: str) -> None:
            try:
                delete(self, account_id, region_name)
            except Exception as exc:  # already gone with its parent (a route with its table): done
                if "NotFound" not in str(exc) and "does not exist" not in str(exc):
                    raise

        return run

    for model, delete in deletes.items():
        if "delete" not in model.__dict__:  # a later moto that implements it keeps its own
            model.delete = idempotent(delete)  # type: ignore[attr-defined]
    _APPLIED.append("stack deletes remove route tables, routes, gateways and endpoints")
