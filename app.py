"""Tocsin's Chalice app: it only wires the edges; the work lives in chalicelib/."""

from chalice.app import Chalice

from chalicelib.api.calendars import calendars
from chalicelib.api.checkins import checkins
from chalicelib.api.console import console
from chalicelib.api.contacts import contacts
from chalicelib.api.drills import drills
from chalicelib.api.dropin_opsgenie import opsgenie_dropin
from chalicelib.api.dropin_pagerduty import pagerduty_dropin
from chalicelib.api.errors import chalice_errors_in_tocsin_shape
from chalicelib.api.heartbeats import heartbeats
from chalicelib.api.holds import holds
from chalicelib.api.integrations import integrations
from chalicelib.api.lists import lists
from chalicelib.api.manual import manual
from chalicelib.api.oncall import oncall
from chalicelib.api.reports import reports
from chalicelib.api.responses import responses
from chalicelib.api.routes import api
from chalicelib.api.statements import statements
from chalicelib.api.updates import updates
from chalicelib.handlers.cloud import cloud
from chalicelib.handlers.delivery import delivery
from chalicelib.handlers.erasure import erasure
from chalicelib.handlers.escalation import escalation
from chalicelib.handlers.queues import queues
from chalicelib.handlers.schedules import schedules
from chalicelib.handlers.site import site
from chalicelib.handlers.spending import spending
from chalicelib.handlers.watch import watch
from chalicelib.observability import adopt_chalice_log, observe_invocation

app = Chalice(app_name="tocsin")
adopt_chalice_log(app.log)  # one logger, Tocsin's redacting one (Chalice's bears the same name)
# Every invocation: request id, cold start and correlation id on each log line; metrics written
# at its end. Then, for HTTP, Chalice's own errors in Tocsin's shape.
app.register_middleware(observe_invocation, "all")
app.register_middleware(chalice_errors_in_tocsin_shape, "http")
app.register_blueprint(api)
app.register_blueprint(lists)
app.register_blueprint(reports)
app.register_blueprint(integrations)
app.register_blueprint(manual)
app.register_blueprint(contacts)
app.register_blueprint(responses)
app.register_blueprint(oncall)
app.register_blueprint(holds)
app.register_blueprint(statements)
app.register_blueprint(updates)
app.register_blueprint(calendars)
app.register_blueprint(heartbeats)
app.register_blueprint(checkins)
app.register_blueprint(drills)
app.register_blueprint(pagerduty_dropin)
app.register_blueprint(opsgenie_dropin)
app.register_blueprint(console)
app.register_blueprint(queues)
app.register_blueprint(cloud)
app.register_blueprint(delivery)
app.register_blueprint(schedules)
app.register_blueprint(escalation)
app.register_blueprint(erasure)
app.register_blueprint(spending)
app.register_blueprint(watch)
app.register_blueprint(site)
