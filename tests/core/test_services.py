import pytest

from apps.core.exceptions import ApplicationError
from apps.core.services import model_update
from apps.worktypes.models import WorkType


def test_model_update_sets_allowed_fields_and_returns_the_changed_names():
    work_type = WorkType(name="Consulting", invoiceable=True)

    changed = model_update(
        instance=work_type,
        data={"name": "Advisory", "invoiceable": True},
        fields=["name", "invoiceable", "description"],
    )

    assert changed == ["name"]
    assert work_type.name == "Advisory"


def test_model_update_refuses_unknown_fields_and_changes_nothing():
    work_type = WorkType(name="Consulting")

    with pytest.raises(ApplicationError, match="cannot be changed here: id, price"):
        model_update(
            instance=work_type,
            data={"name": "Advisory", "price": 1, "id": 7},
            fields=["name"],
        )

    assert work_type.name == "Consulting"
    assert work_type.id is None


def test_application_error_becomes_a_field_validation_error():
    error = ApplicationError("Choose a project.", field="project").as_validation_error()

    assert error.message_dict == {"project": ["Choose a project."]}


def test_application_error_without_field_becomes_a_plain_validation_error():
    error = ApplicationError("No.").as_validation_error()

    assert error.messages == ["No."]
