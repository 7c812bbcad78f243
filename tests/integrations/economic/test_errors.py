"""e-conomic's error bodies read into `Rejected` messages (pure: no request is sent)."""

from apps.integrations.connectors.economic.client import EconomicClient, filter_value


def client() -> EconomicClient:
    return EconomicClient(
        agreement_grant_token="g" * 10, app_secret_token="s" * 10, base_url="http://127.0.0.1:9"
    )


def test_error_messages_read_annotated_and_problem_details():
    eco = client()
    annotated = {
        "message": "Validation error.",
        "errors": {
            "vatZone": {"errors": [{"errorCode": "E06000", "message": "VAT zone not found."}]},
            "lines": [
                {"arrayIndex": 2, "quantity": {"errors": [{"message": "Too many decimals."}]}}
            ],
        },
    }
    assert eco.error_messages(400, annotated) == (
        "vatZone: VAT zone not found. (E06000)",
        "lines[2].quantity: Too many decimals.",
    )
    assert eco.error_messages(404, {"message": "Customer not found.", "errorCode": "E06000"}) == (
        "Customer not found. (E06000)",
    )
    problem = {
        "title": "Bad request",
        "errors": [{"message": "Invalid zone", "property": "zone", "errorCode": "X1"}],
    }
    assert eco.error_messages(400, problem) == ("zone: Invalid zone (X1)",)
    assert eco.error_messages(500, "oops") == ()


def test_filter_values_escape_e_conomics_operators():
    assert filter_value("A$B (C), *D* [E]") == "A$$B $(C$)$, $*D$* [E]"
