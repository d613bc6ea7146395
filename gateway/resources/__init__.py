"""REST resources; importing this package registers every route."""
from gateway.resources import (  # noqa: F401
    accounts,
    activities,
    assessments,
    auth,
    branches,
    dashboard,
    docs,
    exports,
    feeds,
    imports,
    ops,
    rankings,
    summaries,
    volunteers,
    wishes,
)
