"""SOAP 1.1 plumbing: the WSDLs (loaded once), hardened parsing, faults, (de)serialization.

Requests are read and answers written with each service's own WSDL schema through zeep,
so what the sandbox accepts and returns is exactly what the WSDL describes.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as xml_escape

from django.conf import settings
from lxml import etree
from zeep.settings import Settings
from zeep.transports import Transport
from zeep.wsdl import Document

NS = "http://24sevenOffice.com/webservices"
SOAP11_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12_ENV = "http://www.w3.org/2003/05/soap-envelope"
WSDL_DIR = Path(settings.BASE_DIR) / "apps/integrations/connectors/twentyfourseven/wsdl"
DEFAULT_MAX_REQUEST_BYTES = 1_000_000

# .NET's own text when an XmlReader meets a DTD: what a real ASMX service answers.
DTD_PROHIBITED = (
    "Server was unable to read request. ---> There is an error in XML document (1, 1). ---> "
    "For security reasons DTD is prohibited in this XML document. To enable DTD processing set "
    "the DtdProcessing property on XmlReaderSettings to Parse and pass the settings into "
    "XmlReader.Create method."
)
UNREADABLE = "Server was unable to read request. ---> There is an error in XML document."


@dataclass(frozen=True)
class Service:
    key: str
    wsdl: str
    binding: str
    path: str  # below /sandbox/24so/, as in the real soap:address
    variant_wsdl: str | None = None  # a documented superset the sandbox behaves as

    @property
    def behaviour_wsdl(self) -> str:
        return self.variant_wsdl or self.wsdl


SERVICES: dict[str, Service] = {
    s.key: s
    for s in [
        Service(
            "auth", "authService.wsdl", "AuthenticateSoap", "authenticate/v001/authenticate.asmx"
        ),
        Service(
            "client", "clientService.wsdl", "ClientServiceSoap", "Client/V001/ClientService.asmx"
        ),
        Service(
            "company",
            "companyService.wsdl",
            "CompanyServiceSoap",
            "CRM/Company/V001/CompanyService.asmx",
        ),
        Service(
            "person", "personService.wsdl", "PersonServiceSoap", "CRM/Contact/PersonService.asmx"
        ),
        Service(
            "project",
            "projectService.wsdl",
            "ProjectServiceSoap",
            "Project/V001/ProjectService.asmx",
        ),
        Service(
            "time",
            "timeService.wsdl",
            "TimeServiceSoap",
            "timesheet/v001/timeservice.asmx",
            variant_wsdl="timeService-2022.wsdl",
        ),
        Service(
            "invoice",
            "invoiceService.wsdl",
            "InvoiceServiceSoap",
            "Economy/InvoiceOrder/V001/InvoiceService.asmx",
        ),
    ]
}


_parse_state = threading.local()


class _TranslationErrors(logging.Filter):
    """zeep logs and swallows a wrong value (``<int>abc</int>`` becomes None); .NET refuses
    the request. Note the failure for this thread so the request can be refused too."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.getMessage().startswith("Error during xml -> python translation"):
            _parse_state.failed = True
            return False
        return True


logging.getLogger("zeep.xsd.types.simple").addFilter(_TranslationErrors())


class SoapFault(Exception):
    """Answered as a SOAP 1.1 Fault with HTTP 500; the message is 24SO's own text."""

    def __init__(self, message: str, code: str = "soap:Server") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class _OfflineTransport(Transport):
    """The WSDLs are self-contained; never fetch anything while loading them."""

    def load(self, url):  # noqa: D102
        if "://" in str(url) and not str(url).startswith("file://"):
            raise OSError(f"sandbox refuses to fetch {url}")
        return super().load(url)


@functools.cache
def document(wsdl_file: str) -> Document:
    """The parsed WSDL, loaded once per process (lenient like .NET: unknown elements ignored)."""
    return Document(str(WSDL_DIR / wsdl_file), _OfflineTransport(), settings=Settings(strict=False))


def binding(service: Service):
    doc = document(service.behaviour_wsdl)
    return doc.bindings[f"{{{NS}}}{service.binding}"]


def element_names(service: Service, type_name: str) -> set[str]:
    """The child element names of a complex type in the service's schema."""
    xsd_type = document(service.behaviour_wsdl).types.get_type(f"{{{NS}}}{type_name}")
    return {name for name, _ in xsd_type.elements}


def max_request_bytes() -> int:
    conf = getattr(settings, "SANDBOX_24SO", {})
    return int(conf.get("MAX_REQUEST_BYTES", DEFAULT_MAX_REQUEST_BYTES))


def _parser() -> etree.XMLParser:
    # A new parser per request: lxml parsers are not thread-safe.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        collect_ids=False,
    )


_DTD_RE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


def parse_envelope(raw: bytes) -> etree._Element:
    """The request envelope, or a SoapFault for anything hostile or broken."""
    if len(raw) > max_request_bytes():
        raise SoapFault("Maximum request length exceeded.", "soap:Client")
    if _DTD_RE.search(raw):
        raise SoapFault(DTD_PROHIBITED, "soap:Client")
    try:
        root = etree.fromstring(raw, parser=_parser())
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise SoapFault(UNREADABLE, "soap:Client") from exc
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise SoapFault(DTD_PROHIBITED, "soap:Client")
    if root.tag == f"{{{SOAP12_ENV}}}Envelope":
        raise SoapFault(
            "Possible SOAP version mismatch: Envelope namespace " + SOAP12_ENV + " was "
            "unexpected. Expecting " + SOAP11_ENV + ".",
            "soap:VersionMismatch",
        )
    if root.tag != f"{{{SOAP11_ENV}}}Envelope":
        raise SoapFault(UNREADABLE, "soap:Client")
    return root


def body_element(envelope: etree._Element) -> etree._Element:
    body = envelope.find(f"{{{SOAP11_ENV}}}Body")
    if body is None or len(body) == 0:
        raise SoapFault(UNREADABLE, "soap:Client")
    return body[0]


def operation_name(element: etree._Element, soap_action: str | None) -> str:
    """The operation named by the body's first element, which must agree with SOAPAction."""
    qname = etree.QName(element)
    if qname.namespace != NS:
        raise SoapFault(
            f"Server did not recognize the value of HTTP Header SOAPAction: {soap_action or ''}.",
            "soap:Client",
        )
    name = qname.localname
    if soap_action is not None:
        action = soap_action.strip().strip('"')
        if action and action != f"{NS}/{name}":
            raise SoapFault(
                f"Server did not recognize the value of HTTP Header SOAPAction: {action}.",
                "soap:Client",
            )
    return name


def deserialize_input(service: Service, name: str, element: etree._Element) -> dict[str, Any]:
    """The operation's input parts by name (zeep objects), read with the WSDL's schema."""
    operations = binding(service)._operations
    if name not in operations:
        raise SoapFault(
            f"Server did not recognize the value of HTTP Header SOAPAction: {NS}/{name}.",
            "soap:Client",
        )
    op = operations[name]
    _parse_state.failed = False
    try:
        value = op.input.body.parse(element, document(service.behaviour_wsdl).types)
    except Exception as exc:  # zeep raises many types on wrong values; all mean "bad XML"
        raise SoapFault(UNREADABLE, "soap:Client") from exc
    if _parse_state.failed:
        raise SoapFault(UNREADABLE, "soap:Client")
    _check_ranges(element, op.input.body.type)
    if value is None:
        return {}
    return {key: value[key] for key in value}


# zeep reads any integer into a Python int; .NET refuses values outside the XSD type.
_INTEGER_BOUNDS = {"int": 2**31, "long": 2**63, "short": 2**15}


def _check_ranges(node: etree._Element, xsd_type: Any, depth: int = 0) -> None:
    children = dict(getattr(xsd_type, "elements", None) or [])
    if not children or depth > 20:
        return
    for child in node:
        if not isinstance(child.tag, str):
            continue
        xsd_element = children.get(etree.QName(child).localname)
        if xsd_element is None:
            continue
        child_type = xsd_element.type
        type_name = child_type.qname.localname if child_type.qname is not None else None
        bound = _INTEGER_BOUNDS.get(type_name)
        if bound is not None:
            try:
                value = int((child.text or "0").strip())
            except ValueError:
                continue  # already refused by the type check above
            if not -bound <= value < bound:
                raise SoapFault(UNREADABLE, "soap:Client")
        else:
            _check_ranges(child, child_type, depth + 1)


def serialize_output(service: Service, name: str, result: Any) -> bytes:
    """The response envelope for ``result`` (the operation's single output part, if any)."""
    op = binding(service)._operations[name]
    parts = [n for n, _ in op.output.body.type.elements] if op.output.body is not None else []
    kwargs = {parts[0]: result} if parts else {}
    message = op.output.serialize(**kwargs)
    return etree.tostring(message.content, xml_declaration=True, encoding="utf-8")


def fault_envelope(message: str, code: str = "soap:Server") -> bytes:
    soap = f"{{{SOAP11_ENV}}}"
    envelope = etree.Element(
        soap + "Envelope",
        nsmap={
            "soap": SOAP11_ENV,
            "xsi": "http://www.w3.org/2001/XMLSchema-instance",
            "xsd": "http://www.w3.org/2001/XMLSchema",
        },
    )
    body = etree.SubElement(envelope, soap + "Body")
    fault = etree.SubElement(body, soap + "Fault")
    etree.SubElement(fault, "faultcode").text = code
    etree.SubElement(fault, "faultstring").text = message
    etree.SubElement(fault, "detail")
    return etree.tostring(envelope, xml_declaration=True, encoding="utf-8")


@functools.cache
def _wsdl_bytes(wsdl_file: str) -> bytes:
    return (WSDL_DIR / wsdl_file).read_bytes()


def wsdl_for(service: Service, location: str, version: str | None) -> bytes:
    """The WSDL file with soap:address pointing at ``location``; the rest is untouched."""
    wsdl_file = service.variant_wsdl if (version == "2022" and service.variant_wsdl) else None
    raw = _wsdl_bytes(wsdl_file or service.wsdl)
    # Rewrite only the location attribute values so the file stays otherwise byte-identical.
    pattern = re.compile(rb'(<soap(?:12)?:address location=")[^"]*(")')
    escaped = xml_escape(location, {'"': "&quot;"}).encode()
    return pattern.sub(lambda m: m.group(1) + escaped + m.group(2), raw)
