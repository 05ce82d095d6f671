"""The checks, one module per AWS service; importing this package registers every control.

`SERVICES` fixes the order of the controls in every report (table, JSON, SARIF rules), whatever order the
modules happen to be imported in.
"""

from fuelflow.audit.checks import alb, ec2, edge, iam, logs, monitoring, rds, s3, tfstate
from fuelflow.audit.registry import CONTROLS

SERVICES = (s3, rds, ec2, alb, iam, logs, monitoring, edge, tfstate)

_RANK = {module.__name__: i for i, module in enumerate(SERVICES)}
CONTROLS.sort(key=lambda c: _RANK[c.check.__module__])  # stable: each module keeps its own order
