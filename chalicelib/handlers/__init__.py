"""Queue, schedule, SNS and EventBridge edges.

Deployed, Chalice points each of these functions at its blueprint's module
(``chalicelib.handlers.queues.evaluate_events``), not at ``app.py`` (aws/chalice#1566): nothing
would import the app, register its blueprints and give the handlers its middleware, so no
function but the API would frame its invocations (request id, correlation id cleared) or write
its metrics. Importing the app here, as the package is first imported, does that in every
function. When the app is imported first (the API, the tests), this import finds it already
being imported and does nothing.
"""

import app  # noqa: F401  (registers the blueprints: see above)
