"""Reads of people: how a login finds its user, which role and which day they are in."""

import re
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import authenticate
from django.test import RequestFactory

from apps.accounts import roles
from apps.accounts.models import User
from apps.accounts.services import invitation_get, user_invite
from tests.accounts.factories import PASSWORD, UserFactory, employee, support_user

pytestmark = pytest.mark.django_db


def test_login_finds_the_user_whatever_the_case_of_the_email():
    user = UserFactory(email="kari.nordmann@example.no")

    assert User.objects.get_by_natural_key("Kari.Nordmann@EXAMPLE.no") == user
    request = RequestFactory().post("/admin/login/")  # django-axes needs the request
    assert authenticate(request, username="KARI.NORDMANN@example.no", password=PASSWORD) == user


def test_create_user_stores_the_email_in_lower_case():
    user = User.objects.create_user("Ola@Example.NO", password=PASSWORD)

    assert user.email == "ola@example.no"
    assert user.is_staff is True
    assert user.is_superuser is False


def test_has_role_is_the_group_membership():
    user = employee()

    assert user.has_role(roles.EMPLOYEE)
    assert not user.has_role(roles.ADMIN)
    assert support_user().has_role(roles.SUPPORT)


def test_tzinfo_is_the_users_zone_and_falls_back_to_the_office_zone():
    assert UserFactory(time_zone="America/New_York").tzinfo == ZoneInfo("America/New_York")
    assert UserFactory(time_zone="Mars/Olympus_Mons").tzinfo == ZoneInfo("Europe/Oslo")
    assert UserFactory(time_zone="").tzinfo == ZoneInfo("Europe/Oslo")


def test_user_is_shown_by_full_name_or_email():
    assert str(UserFactory(first_name="Siri", last_name="Dahl")) == "Siri Dahl"
    assert str(UserFactory(first_name="", last_name="", email="x@example.no")) == "x@example.no"


def test_invitation_get_finds_the_invitation_behind_a_token(
    django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        user, invitation = user_invite(
            email="ny@example.no", invited_by=None, base_url="http://testserver"
        )
    token = re.search(r"/accounts/invitation/([^/\s]+)/", mailoutbox[0].body).group(1)

    found = invitation_get(token=token)

    assert found == invitation
    assert found.user == user
    assert invitation_get(token=token + "x") is None
    assert invitation_get(token="") is None
