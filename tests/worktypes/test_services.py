from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from apps.core.exceptions import ApplicationError
from apps.worktypes.models import WorkType
from apps.worktypes.services import work_type_create, work_type_update
from tests.worktypes.factories import WorkTypeFactory

pytestmark = pytest.mark.django_db


def test_work_type_create_stores_name_price_and_invoiceable():
    work_type = work_type_create(
        data={"name": "Travel", "invoiceable": False, "price": Decimal("650.00")}
    )

    work_type.refresh_from_db()
    assert (work_type.name, work_type.invoiceable, work_type.price) == (
        "Travel",
        False,
        Decimal("650.00"),
    )
    assert work_type.is_active is True


def test_work_type_with_a_negative_price_is_refused():
    with pytest.raises(ValidationError, match="greater than or equal to 0"):
        work_type_create(data={"name": "Cheap", "price": Decimal("-1")})
    assert not WorkType.objects.exists()


def test_work_type_update_deactivates_it():
    work_type = WorkTypeFactory()

    work_type_update(work_type=work_type, data={"is_active": False})

    work_type.refresh_from_db()
    assert work_type.is_active is False


def test_work_type_update_refuses_unknown_fields():
    work_type = WorkTypeFactory(name="Consulting")

    with pytest.raises(ApplicationError, match="created_at"):
        work_type_update(work_type=work_type, data={"name": "Other", "created_at": None})

    work_type.refresh_from_db()
    assert work_type.name == "Consulting"
