"""AWS Lambda for Python handlers: functions deployed as zips (run by warm worker processes) or
registered in-process by an application.

The in-process API::

    from eventyard.functions import function

    @function("greet", timeout=10, memory=256, environment={"STAGE": "dev"})
    def greet(event, context):                 # or ``async def``
        return {"hello": event["name"], "request": context.aws_request_id}

``function(name=None, *, timeout=3, memory=128, description="", environment=None, account=..., region=...)``
registers at import time for every yard built afterwards; ``eventyard serve --app mypkg.app``
imports ``mypkg.app`` (and, when the module has a callable ``app``, or ``--app mypkg.app:setup``
names one, calls it with the yard). On one yard::

    yard.functions.register("greet", greet, timeout=10)      # the same keywords

In-process functions are listed by ListFunctions, described by GetFunction and invoked by Invoke,
rules, subscriptions and workflows like deployed ones, without a worker process. See
:mod:`eventyard.functions.inprocess` for their limits.
"""

from eventyard.functions.inprocess import InProcessFunction, function
from eventyard.functions.worker_main import LambdaContext

__all__ = ["InProcessFunction", "LambdaContext", "function"]
