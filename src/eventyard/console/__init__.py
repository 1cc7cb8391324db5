"""The web console, served by ``eventyard serve`` at ``/_console`` (see ``docs/console.md``).

The page is plain HTML, CSS and ES modules in ``static/`` (bundled with the package: nothing to
build, nothing from a CDN). It reads and acts through the JSON endpoints of this package, which go
through the services' own operations; live views are server-sent events (:mod:`.live`). Importing
this package registers every endpoint.
"""

from eventyard.console import buses, functions, live, machines, overview, queues, streams, traces
from eventyard.console.app import PREFIX, handle

__all__ = ["PREFIX", "buses", "functions", "handle", "live", "machines", "overview", "queues", "streams", "traces"]
