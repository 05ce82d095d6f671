"""Emulator fixes 50-59: the web tier behind a load balancer (see the numbered list in fuelflow.moto_fixes).

Kept apart from moto_fixes.py so that the fixes of the production profile's parts do not all edit one block;
moto_fixes.FIXES lists them with the others, and `apply()` runs them the same way.
"""

from __future__ import annotations

from typing import Any

# CloudFormation models added here; moto finds its models as weakly held subclasses, so they are kept alive.
_MODELS: list[type] = []


def _tags(props: dict[str, Any]) -> list[dict[str, str]]:
    return [{"Key": str(t["Key"]), "Value": str(t["Value"])} for t in props.get("Tags") or []]


def _attributes(props: dict[str, Any], key: str) -> dict[str, str]:
    """CloudFormation's [{Key, Value}] attribute list as the API's {key: "value"} (booleans lower-case)."""
    out: dict[str, str] = {}
    for item in props.get(key) or []:
        value = item["Value"]
        out[str(item["Key"])] = str(value).lower() if isinstance(value, bool) else str(value)
    return out


def full_name(arn: str, kind: str) -> str:
    """The CloudWatch dimension form of an ELBv2 ARN: `app/<name>/<id>` or `targetgroup/<name>/<id>`."""
    return arn.split(":loadbalancer/", 1)[1] if kind == "lb" else arn.split(":", 5)[5]


# ------------------------------------------------------------------------------------------------- fix 50

def fix_elbv2_attributes() -> None:
    """Fn::GetAtt answers what a load balancer and a target group offer: LoadBalancerFullName (the CloudWatch
    dimension), CanonicalHostedZoneID, SecurityGroups, TargetGroupFullName, TargetGroupName, LoadBalancerArns."""
    from moto.cloudformation.exceptions import UnformattedGetAttTemplateException
    from moto.elbv2.models import FakeLoadBalancer, FakeTargetGroup

    from fuelflow.moto_fixes import NotNeeded  # here: moto_fixes imports this module

    if "get_cfn_attribute" in FakeTargetGroup.__dict__:
        raise NotNeeded("moto answers Fn::GetAtt on target groups itself")
    original = FakeLoadBalancer.get_cfn_attribute

    def lb_attribute(self: Any, attribute_name: str) -> Any:
        if attribute_name == "LoadBalancerFullName":
            return full_name(self.arn, "lb")
        if attribute_name == "CanonicalHostedZoneID":
            return self.canonical_hosted_zone_id
        if attribute_name == "SecurityGroups":
            return list(self.security_groups)
        return original(self, attribute_name)

    def tg_has_attr(cls: Any, attr: str) -> bool:
        return attr in ("TargetGroupFullName", "TargetGroupName", "LoadBalancerArns", "TargetGroupArn")

    def tg_attribute(self: Any, attribute_name: str) -> Any:
        if attribute_name == "TargetGroupFullName":
            return full_name(self.arn, "tg")
        if attribute_name == "TargetGroupName":
            return self.name
        if attribute_name == "TargetGroupArn":
            return self.arn
        if attribute_name == "LoadBalancerArns":
            return list(self.load_balancer_arns)
        raise UnformattedGetAttTemplateException()

    FakeLoadBalancer.get_cfn_attribute = lb_attribute  # type: ignore[method-assign]
    FakeTargetGroup.has_cfn_attr = classmethod(tg_has_attr)  # type: ignore[assignment,method-assign]
    FakeTargetGroup.get_cfn_attribute = tg_attribute  # type: ignore[attr-defined]


# ------------------------------------------------------------------------------------------------- fix 51

def apply_lb_properties(lb: Any, props: dict[str, Any], account_id: str, region_name: str) -> None:
    """LoadBalancerAttributes, Type, IpAddressType and Tags of an AWS::ElasticLoadBalancingV2::LoadBalancer."""
    from moto.elbv2.models import elbv2_backends

    backend = elbv2_backends[account_id][region_name]
    lb.type = props.get("Type") or "application"
    lb.ip_address_type = props.get("IpAddressType") or "ipv4"
    attrs = _attributes(props, "LoadBalancerAttributes")
    if attrs:
        backend.modify_load_balancer_attributes(lb.arn, attrs)
    if _tags(props):
        backend.add_tags([lb.arn], _tags(props))


def apply_tg_properties(tg: Any, props: dict[str, Any], account_id: str, region_name: str) -> None:
    """TargetGroupAttributes, HealthCheckEnabled and Tags of an AWS::ElasticLoadBalancingV2::TargetGroup."""
    from moto.elbv2.models import elbv2_backends

    backend = elbv2_backends[account_id][region_name]
    if "HealthCheckEnabled" in props:
        tg.healthcheck_enabled = str(props["HealthCheckEnabled"]).lower() == "true"
    attrs = _attributes(props, "TargetGroupAttributes")
    if attrs:
        backend.modify_target_group_attributes(tg.arn, attrs)
    if _tags(props):
        backend.add_tags([tg.arn], _tags(props))


def fix_elbv2_properties() -> None:
    """Load balancers keep LoadBalancerAttributes (access logs, deletion protection, dropped invalid headers),
    Type, IpAddressType and Tags; target groups keep TargetGroupAttributes (deregistration delay, stickiness),
    HealthCheckEnabled and Tags. moto's CloudFormation engine read none of them."""

    from moto.elbv2.models import FakeLoadBalancer, FakeTargetGroup

    lb_create = FakeLoadBalancer.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]
    tg_create = FakeTargetGroup.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def create_lb(cls: Any, /, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str,
                  **kwargs: Any) -> Any:
        lb = lb_create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        apply_lb_properties(lb, cloudformation_json.get("Properties") or {}, account_id, region_name)
        return lb

    def create_tg(cls: Any, /, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str,
                  **kwargs: Any) -> Any:
        tg = tg_create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        apply_tg_properties(tg, cloudformation_json.get("Properties") or {}, account_id, region_name)
        return tg

    FakeLoadBalancer.create_from_cloudformation_json = classmethod(create_lb)  # type: ignore[assignment,method-assign]
    FakeTargetGroup.create_from_cloudformation_json = classmethod(create_tg)  # type: ignore[assignment,method-assign]


# ------------------------------------------------------------------------------------------------- fix 52

def fix_elbv2_deletes() -> None:
    """Deleting a stack (or removing the resource in an update) deletes its target groups and listeners: moto
    had no delete for either, so a destroyed environment kept its target group (and a removed listener stayed)."""
    from moto.elbv2.models import FakeListener, FakeTargetGroup, elbv2_backends

    from fuelflow.moto_fixes import NotNeeded  # here: moto_fixes imports this module

    if "delete" in FakeTargetGroup.__dict__ or "delete" in FakeListener.__dict__:
        raise NotNeeded("moto deletes them itself")

    def delete_tg(self: Any, account_id: str, region_name: str) -> None:
        backend = elbv2_backends[account_id][region_name]
        if self.arn in backend.target_groups:
            for lb in backend.load_balancers.values():  # listeners that forward here go first, as in AWS
                for arn, listener in list(lb.listeners.items()):
                    if any(a.data.get("TargetGroupArn") == self.arn for a in listener.default_actions):
                        lb.listeners.pop(arn, None)
            backend.delete_target_group(self.arn)

    def delete_listener(self: Any, account_id: str, region_name: str) -> None:
        backend = elbv2_backends[account_id][region_name]
        if any(self.arn in lb.listeners for lb in backend.load_balancers.values()):
            backend.delete_listener(self.arn)

    FakeTargetGroup.delete = delete_tg  # type: ignore[attr-defined]
    FakeListener.delete = delete_listener  # type: ignore[attr-defined]


# ------------------------------------------------------------------------------------------------- fix 53

def fix_scaling_policy_model() -> None:
    """AWS::AutoScaling::ScalingPolicy exists (moto had no model: it warned and skipped it, so the group never
    had its target-tracking policy): PutScalingPolicy through moto's Auto Scaling; Ref is the policy ARN."""
    from moto.autoscaling.models import AutoScalingBackend, autoscaling_backends
    from moto.cloudformation.exceptions import UnformattedGetAttTemplateException
    from moto.core.common_models import CloudFormationModel

    # here, not at the top: moto_fixes imports this module
    from fuelflow.moto_fixes import NotNeeded, _clear_model_caches, _model_exists, _require


    _require(AutoScalingBackend, "put_scaling_policy", "delete_policy")
    if _model_exists("AWS::AutoScaling::ScalingPolicy"):
        raise NotNeeded("moto models it itself")

    class ScalingPolicy(CloudFormationModel):
        """The policy lives in moto's Auto Scaling backend; this remembers its name, group and ARN."""

        def __init__(self, name: str, group: str, arn: str) -> None:
            self.name, self.group, self.arn = name, group, arn

        @staticmethod
        def cloudformation_name_type() -> str:
            return "PolicyName"

        @staticmethod
        def cloudformation_type() -> str:
            return "AWS::AutoScaling::ScalingPolicy"

        @classmethod
        def has_cfn_attr(cls, attr: str) -> bool:
            return attr in ("Arn", "PolicyName")

        def get_cfn_attribute(self, attribute_name: str) -> str:
            if attribute_name == "Arn":
                return self.arn
            if attribute_name == "PolicyName":
                return self.name
            raise UnformattedGetAttTemplateException()

        @property
        def physical_resource_id(self) -> str:
            return self.arn

        def is_created(self) -> bool:
            return True

        @classmethod
        def create_from_cloudformation_json(cls, resource_name: str, cloudformation_json: Any, account_id: str,
                                            region_name: str, **kwargs: Any) -> ScalingPolicy:
            p = cloudformation_json["Properties"]
            tracking = p.get("TargetTrackingConfiguration")
            if tracking is not None:
                tracking = {**tracking, "TargetValue": float(tracking["TargetValue"])}
            group = p["AutoScalingGroupName"]
            name = p.get("PolicyName") or resource_name
            warmup = p.get("EstimatedInstanceWarmup")
            backend: Any = autoscaling_backends[account_id][region_name]  # moto's annotations say str
            policy = backend.put_scaling_policy(
                name=name, policy_type=p.get("PolicyType", "SimpleScaling"),
                metric_aggregation_type=p.get("MetricAggregationType"), adjustment_type=p.get("AdjustmentType"),
                as_name=group, min_adjustment_magnitude=p.get("MinAdjustmentMagnitude"),
                scaling_adjustment=None if p.get("ScalingAdjustment") is None else int(p["ScalingAdjustment"]),
                cooldown=None if p.get("Cooldown") is None else int(p["Cooldown"]),
                target_tracking_config=tracking or {}, step_adjustments=p.get("StepAdjustments") or [],
                estimated_instance_warmup=None if warmup is None else int(warmup),
                predictive_scaling_configuration=p.get("PredictiveScalingConfiguration"))
            return cls(policy.name, group, policy.arn)

        @classmethod
        def update_from_cloudformation_json(cls, original_resource: Any, new_resource_name: str,
                                            cloudformation_json: Any, account_id: str,
                                            region_name: str) -> ScalingPolicy:
            new = cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)
            if new.name != original_resource.name:
                original_resource.delete(account_id, region_name)
            return new

        def delete(self, account_id: str, region_name: str) -> None:
            backend = autoscaling_backends[account_id][region_name]
            if self.name in backend.policies:
                backend.delete_policy(self.name)

    _MODELS.append(ScalingPolicy)
    _clear_model_caches()


# ------------------------------------------------------------------------------------------------- fix 54

def fix_certificate_model() -> None:
    """AWS::CertificateManager::Certificate exists (moto had no model): RequestCertificate through moto's ACM,
    with its tags; Ref is the certificate ARN. (ACM's DNS validation itself is not modelled: the certificate
    stays as moto's ACM leaves a requested one.)"""
    from moto.acm.models import AWSCertificateManagerBackend, acm_backends
    from moto.core.common_models import CloudFormationModel

    # here, not at the top: moto_fixes imports this module
    from fuelflow.moto_fixes import NotNeeded, _clear_model_caches, _model_exists, _require


    _require(AWSCertificateManagerBackend, "request_certificate", "delete_certificate")
    if _model_exists("AWS::CertificateManager::Certificate"):
        raise NotNeeded("moto models it itself")

    class Certificate(CloudFormationModel):
        def __init__(self, arn: str) -> None:
            self.arn = arn

        @staticmethod
        def cloudformation_name_type() -> str:
            return ""

        @staticmethod
        def cloudformation_type() -> str:
            return "AWS::CertificateManager::Certificate"

        @classmethod
        def has_cfn_attr(cls, attr: str) -> bool:
            return False

        @property
        def physical_resource_id(self) -> str:
            return self.arn

        def is_created(self) -> bool:
            return True

        @classmethod
        def create_from_cloudformation_json(cls, resource_name: str, cloudformation_json: Any, account_id: str,
                                            region_name: str, **kwargs: Any) -> Certificate:
            p = cloudformation_json["Properties"]
            backend: Any = acm_backends[account_id][region_name]  # idempotency_token may be None
            arn = backend.request_certificate(
                domain_name=p["DomainName"], idempotency_token=None,
                subject_alt_names=list(p.get("SubjectAlternativeNames") or []), tags=_tags(p))
            return cls(arn)

        def delete(self, account_id: str, region_name: str) -> None:
            backend = acm_backends[account_id][region_name]
            if self.arn in backend._certificates:
                backend.delete_certificate(self.arn)

    _MODELS.append(Certificate)
    _clear_model_caches()


# ------------------------------------------------------------------------------------------------- fix 55

def fix_asg_metrics_collection() -> None:
    """An AWS::AutoScaling::AutoScalingGroup's MetricsCollection is enabled (moto dropped it): the group's
    metrics (all of them when the entry lists none) at the entry's granularity."""

    from moto.autoscaling.models import FakeAutoScalingGroup

    create = FakeAutoScalingGroup.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def create_group(cls: Any, /, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str,
                     **kwargs: Any) -> Any:
        group = create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        collection = (cloudformation_json.get("Properties") or {}).get("MetricsCollection") or []
        if collection and not group.metrics:
            metrics = [m for entry in collection for m in entry.get("Metrics") or []] or list(ASG_METRICS)
            group.enable_metrics_collection(metrics)
        return group

    FakeAutoScalingGroup.create_from_cloudformation_json = classmethod(create_group)  # type: ignore[assignment,method-assign]


# ------------------------------------------------------------------------------------------------- fix 56

def fix_scaling_policy_read_back() -> None:
    """DescribePolicies answers a policy as Auto Scaling does: `Enabled` (true unless PutScalingPolicy said false)
    and no PredictiveScalingConfiguration on a policy that has none. moto left out the first and answered an empty
    second, so the AWS provider planned `enabled false -> true` and a removed block after every apply."""
    from moto.autoscaling.models import FakeScalingPolicy
    from moto.autoscaling.responses import AutoScalingResponse

    # here, not at the top: moto_fixes imports this module
    from fuelflow.moto_fixes import NotNeeded, _require

    _require(AutoScalingResponse, "put_scaling_policy")
    if "enabled" in FakeScalingPolicy.__init__.__code__.co_names:
        raise NotNeeded("moto keeps Enabled itself")
    original_init = FakeScalingPolicy.__init__
    original_put = AutoScalingResponse.put_scaling_policy

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        self.enabled = True
        if not self.predictive_scaling_configuration:
            self.predictive_scaling_configuration = None

    def put_scaling_policy(self: Any) -> Any:
        result = original_put(self)
        enabled = self._get_param("Enabled")
        if enabled is not None:
            for policy in self.autoscaling_backend.policies.values():
                if policy.name == self._get_param("PolicyName"):
                    policy.enabled = str(enabled).lower() == "true"
        return result

    FakeScalingPolicy.__init__ = __init__  # type: ignore[method-assign]
    AutoScalingResponse.put_scaling_policy = put_scaling_policy  # type: ignore[method-assign]


# ------------------------------------------------------------------------------------------------- fix 57

def fix_load_balancer_default_scheme() -> None:
    """CreateLoadBalancer without a Scheme makes an internet-facing load balancer, as ELB does (the AWS provider
    leaves Scheme out for `internal = false`): moto stored None, so DescribeLoadBalancers answered no Scheme."""
    from moto.elbv2.models import ELBv2Backend

    from fuelflow.moto_fixes import _require  # here: moto_fixes imports this module

    _require(ELBv2Backend, "create_load_balancer")
    original = ELBv2Backend.create_load_balancer

    def create_load_balancer(self: Any, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("scheme") is None and len(args) < 5:
            kwargs["scheme"] = "internet-facing"
        return original(self, *args, **kwargs)

    ELBv2Backend.create_load_balancer = create_load_balancer  # type: ignore[method-assign]


# ------------------------------------------------------------------------------------------------- fix 58

def fix_load_balancer_deletion_protection() -> None:
    """DeleteLoadBalancer refuses a load balancer whose deletion_protection.enabled is true (OperationNotPermitted),
    as ELB does: moto deleted it, so a production destroy that left the protection on passed on the emulator and
    failed on AWS. CloudFormation's delete of the resource goes through the same call."""
    from moto.elbv2.exceptions import ELBClientError
    from moto.elbv2.models import ELBv2Backend

    from fuelflow.moto_fixes import _require  # here: moto_fixes imports this module

    _require(ELBv2Backend, "delete_load_balancer")
    original = ELBv2Backend.delete_load_balancer

    def delete_load_balancer(self: Any, arn: str) -> None:
        balancer = self.load_balancers.get(arn)
        if balancer is not None and str(balancer.attrs.get("deletion_protection.enabled", "false")).lower() == "true":
            raise ELBClientError("OperationNotPermitted",
                            f"Load balancer '{arn}' cannot be deleted because deletion protection is enabled")
        original(self, arn)

    ELBv2Backend.delete_load_balancer = delete_load_balancer  # type: ignore[method-assign]


# What EnableMetricsCollection without a list enables (the Auto Scaling API reference).
ASG_METRICS = ("GroupMinSize", "GroupMaxSize", "GroupDesiredCapacity", "GroupInServiceInstances",
               "GroupPendingInstances", "GroupStandbyInstances", "GroupTerminatingInstances", "GroupTotalInstances")
