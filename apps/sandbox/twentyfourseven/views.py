"""HTTP face of the sandbox: ``?wsdl``, a small help page, and SOAP POSTs."""

from __future__ import annotations

import time

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.utils.html import escape
from django.views.decorators.csrf import csrf_exempt

from . import endpoint
from .soap import SERVICES, fault_envelope, wsdl_for


def _wants_wsdl(request: HttpRequest) -> bool:
    return any(key.lower() == "wsdl" for key in request.GET)


@csrf_exempt
def service_view(request: HttpRequest, service_key: str) -> HttpResponse:
    """``?wsdl`` = the 2018/real WSDL verbatim, ``?wsdl&v=2022`` = the documented variant."""
    service = SERVICES[service_key]
    if request.method == "GET":
        if _wants_wsdl(request):
            location = request.build_absolute_uri(request.path)
            body = wsdl_for(service, location, request.GET.get("v"))
            return HttpResponse(body, content_type="text/xml; charset=utf-8")
        names = "".join(f"<li>{escape(n)}</li>" for n in endpoint.operations_of(service))
        html = (
            f"<html><body><h1>{escape(service.binding[:-4])} (24SO sandbox)</h1>"
            f'<p><a href="?wsdl">Service description</a></p><ul>{names}</ul></body></html>'
        )
        return HttpResponse(html)
    if request.method != "POST":
        return HttpResponseNotAllowed(["GET", "POST"])
    outcome = endpoint.handle(request, service)
    if outcome.delay:  # done and logged: only the answer is late (past a client's timeout)
        time.sleep(outcome.delay)
    if outcome.drop and endpoint.drop_connection(request):
        return HttpResponse(b"", status=500)
    if outcome.drop:  # no socket to drop (not runserver): fail like an error instead
        outcome.body = fault_envelope("Server was unable to process request.")
    response = HttpResponse(outcome.body, status=outcome.status, content_type=outcome.content_type)
    for name, value in outcome.headers.items():
        response[name] = value
    if outcome.session_key:
        response.set_cookie(
            endpoint.SESSION_COOKIE, outcome.session_key, path="/", httponly=True, samesite="Lax"
        )
    return response
