"""The schemas are e-conomic's files unchanged; the fast checker agrees with jsonschema."""

import copy
import hashlib
import json

import pytest

from apps.sandbox.economic.schemas import (
    SCHEMA_DIR,
    SchemaViolation,
    check_response,
    compiled,
    validator,
)

# Git blob hashes of e-conomic's published files (API-NOTES Appendix A, source repository
# Pogoe/EConomic.NET @ fdd22ab2, specs/legacy/).
PUBLISHED = {
    "currencies.code.get.schema.json": "9ad0dfcb681bbce9ac257a22883fb919f688de04",
    "currencies.get.schema.json": "9e11479e3046d504a849b4544d065e61bb7733fd",
    "customer-groups.customerGroupNumber.get.schema.json": "e1d7e093cb623f140e70c9bb9becc6d8a5211dbd",
    "customer-groups.get.schema.json": "a8a2a5bb1c2ce07ff751950441d980985b2c62e2",
    "customers.customerNo.put.schema.json": "8f0693a37eba0424d89b171869df724d60c07f12",
    "customers.customerNumber.get.schema.json": "b2cf81d64f22f7db29d7bcf98d8a79cbfdac75d2",
    "customers.get.schema.json": "5d5d268d2d8c5d8f00250f8ba8a313ad0833d417",
    "customers.post.schema.json": "2f8358dcbfb3b9ebb573f6b1668bf1a66a220dc5",
    "employees.employeeNumber.get.schema.json": "9a9a3ff7c757c66d20578c01465f279e35227dc0",
    "employees.get.schema.json": "206f50427e1267a91d9e03c3911a564d946632b6",
    "layouts.get.schema.json": "7b9f4422b42cce46935c4d954ffb477a8a090ccf",
    "layouts.layoutNumber.get.schema.json": "955b8a824503b822a10d3c2eb485a2e782f1a6fe",
    "payment-terms.get.schema.json": "d93b458e741fb6aeca81853347d88f94cf5ead2a",
    "payment-terms.paymentTermsNumber.get.schema.json": "d8f760efb94d9647759ba11a549b3cf616ef108f",
    "products.get.schema.json": "a25885ff2084bf4f8b3f61940390cb58b6dca00c",
    "products.productNumber.get.schema.json": "9e064716bcca564158058aec1be445011d3bad83",
    "self.get.schema.json": "58eef4b11412fa850d2796070f6f29895ab29807",
    "vat-zones.get.schema.json": "8ecf04d973c875a5e92d68cd1247d15e169eebcc",
    "vat-zones.vatZoneNumber.get.schema.json": "c613c3798cf397560fdaf527211f55ac7bde38a0",
}


def test_the_schema_files_are_e_conomics_unchanged():
    served = sorted(path.name for path in SCHEMA_DIR.glob("*.schema.json"))
    assert served == sorted(PUBLISHED)
    for name, blob in PUBLISHED.items():
        data = (SCHEMA_DIR / name).read_bytes()
        header = f"blob {len(data)}\0".encode()
        assert hashlib.sha1(header + data).hexdigest() == blob, name  # noqa: S324 - git's id


def _customer(n: int) -> dict:
    base = "http://x/sandbox/economic"
    return {
        "customerNumber": n,
        "currency": "DKK",
        "name": f"Kunde {n}",
        "balance": 0.0,
        "customerGroup": {"customerGroupNumber": 1, "self": f"{base}/customer-groups/1"},
        "paymentTerms": {"paymentTermsNumber": 1, "self": f"{base}/payment-terms/1"},
        "vatZone": {"vatZoneNumber": 1, "self": f"{base}/vat-zones/1"},
        "lastUpdated": "2026-03-01T12:00:00Z",
        "self": f"{base}/customers/{n}",
    }


def _page(items):
    return {"collection": items, "pagination": {}, "metaData": {}, "self": "http://x/customers"}


BREAKAGES = [
    ("name", None),
    ("name", ""),
    ("name", "x" * 256),
    ("currency", "DK"),
    ("customerNumber", 0),
    ("customerNumber", "7"),
    ("customerNumber", True),
    ("balance", "0"),
    ("lastUpdated", "2026-03-01"),
    ("self", None),
    ("barred", "yes"),
    ("customerGroup", {"customerGroupNumber": 1}),
    ("vatZone", 1),
]


@pytest.mark.parametrize("key, value", BREAKAGES)
def test_the_fast_checker_agrees_with_jsonschema(key, value):
    good = _page([_customer(1), _customer(2)])
    assert compiled("customers.get")(good) is None
    assert not list(validator("customers.get").iter_errors(good))
    bad = copy.deepcopy(good)
    bad["collection"][1][key] = value
    assert compiled("customers.get")(bad) is not None
    assert list(validator("customers.get").iter_errors(bad))
    with pytest.raises(SchemaViolation):
        check_response("customers.get", bad)


def test_a_missing_required_property_is_caught_in_any_item():
    bad = _page([_customer(1), _customer(2), _customer(3)])
    del bad["collection"][2]["currency"]
    with pytest.raises(SchemaViolation, match="currency"):
        check_response("customers.get", bad)
    del bad["self"]
    with pytest.raises(SchemaViolation):
        check_response("customers.get", bad)


def test_every_schema_file_parses():
    for path in SCHEMA_DIR.glob("*.schema.json"):
        json.loads(path.read_text(encoding="utf-8"))
