import datetime
import hashlib
import re

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone

from apps.accounts import roles
from apps.accounts.models import Invitation, User
from apps.accounts.services import (
    invitation_accept,
    invitation_resend,
    user_invite,
    user_update,
)
from apps.core.exceptions import ApplicationError
from tests.accounts.factories import admin_user, employee

pytestmark = pytest.mark.django_db

BASE_URL = "http://tidsbro.example.com/"


def _token(message) -> str:
    return re.search(r"/accounts/invitation/([^/\s]+)/", message.body).group(1)


@pytest.fixture
def invite(django_capture_on_commit_callbacks):
    def invite(email="ny.kollega@example.no", **kwargs):
        kwargs.setdefault("invited_by", None)
        with django_capture_on_commit_callbacks(execute=True):
            return user_invite(email=email, base_url=BASE_URL, **kwargs)

    return invite


def test_user_invite_creates_a_user_without_password_and_e_mails_a_link(invite, mailoutbox):
    office = admin_user(first_name="Kari", last_name="Kontor")

    user, invitation = invite(
        email="  Ny.Kollega@Example.NO ",
        invited_by=office,
        first_name="Nils",
        roles=[roles.EMPLOYEE],
    )

    assert user.email == "ny.kollega@example.no"
    assert not user.has_usable_password()
    assert user.is_staff and user.is_active
    assert user.has_role(roles.EMPLOYEE)
    assert invitation.user == user and invitation.invited_by == office
    assert invitation.is_usable
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["ny.kollega@example.no"]
    assert message.subject == "You are invited to Tidsbro"
    assert "Hello Nils," in message.body
    assert "Kari Kontor has invited you to Tidsbro" in message.body
    assert f"http://tidsbro.example.com/accounts/invitation/{_token(message)}/" in message.body


def test_invitation_expires_after_the_configured_hours(invite, settings):
    settings.INVITATION_MAX_AGE_HOURS = 48
    before = timezone.now()

    _user, invitation = invite()

    assert invitation.expires_at - before >= datetime.timedelta(hours=48)
    assert invitation.expires_at - timezone.now() <= datetime.timedelta(hours=48)


def test_invitation_e_mail_is_only_sent_when_the_transaction_commits(
    django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        user_invite(email="ny@example.no", invited_by=None, base_url=BASE_URL)

    assert mailoutbox == []
    assert len(callbacks) == 1


def test_invite_of_an_existing_email_is_refused_whatever_the_case(invite, mailoutbox):
    employee(email="ola@example.no")
    users, invitations = User.objects.count(), Invitation.objects.count()

    with pytest.raises(ApplicationError, match="already exists") as excinfo:
        invite(email="OLA@Example.no")

    assert excinfo.value.field == "email"
    assert (User.objects.count(), Invitation.objects.count()) == (users, invitations)
    assert mailoutbox == []


def test_invite_racing_another_invite_of_the_same_email_is_refused_clearly(
    invite, mailoutbox, monkeypatch
):
    employee(email="ola@example.no")
    users = User.objects.count()
    # The other invitation is saved between our checks and our write.
    monkeypatch.setattr(QuerySet, "exists", lambda self: False)

    with pytest.raises(ApplicationError, match="already exists"):
        invite(email="ola@example.no")

    monkeypatch.undo()
    assert User.objects.count() == users
    assert not Invitation.objects.exists()
    assert mailoutbox == []


def test_invite_of_an_invalid_email_is_refused(invite, mailoutbox):
    with pytest.raises(ValidationError, match="valid email"):
        invite(email="not an address")

    assert not Invitation.objects.exists()
    assert mailoutbox == []


def test_token_is_not_stored_in_clear(invite, mailoutbox):
    _user, invitation = invite()
    token = _token(mailoutbox[0])

    invitation.refresh_from_db()
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    stored = [str(v) for row in Invitation.objects.values() for v in row.values()]
    stored += [str(v) for row in User.objects.values() for v in row.values()]
    assert not any(token in value for value in stored)


def test_invitation_accept_sets_the_password_once(invite, mailoutbox):
    user, invitation = invite()
    token = _token(mailoutbox[0])

    accepted = invitation_accept(token=token, password="a-long-enough-password")

    assert accepted == user
    user.refresh_from_db()
    assert user.check_password("a-long-enough-password")
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None
    assert not invitation.is_usable
    with pytest.raises(ApplicationError, match="no longer valid"):
        invitation_accept(token=token, password="another-long-password")
    user.refresh_from_db()
    assert user.check_password("a-long-enough-password")


def test_invitation_accept_of_an_expired_link_is_refused(invite, mailoutbox):
    user, invitation = invite()
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )

    with pytest.raises(ApplicationError, match="no longer valid"):
        invitation_accept(token=_token(mailoutbox[0]), password="a-long-enough-password")

    user.refresh_from_db()
    assert not user.has_usable_password()


def test_invitation_accept_for_a_deactivated_user_is_refused(invite, mailoutbox):
    user, invitation = invite()
    User.objects.filter(pk=user.pk).update(is_active=False)

    with pytest.raises(ApplicationError, match="has been deactivated"):
        invitation_accept(token=_token(mailoutbox[0]), password="a-long-enough-password")

    user.refresh_from_db()
    assert not user.is_active
    assert not user.has_usable_password()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_invitation_accept_of_an_unknown_token_is_refused():
    with pytest.raises(ApplicationError, match="no longer valid"):
        invitation_accept(token="made-up", password="a-long-enough-password")


def test_resend_revokes_the_old_link_and_sends_a_new_one(
    invite, mailoutbox, django_capture_on_commit_callbacks
):
    user, first = invite()
    office = admin_user()

    with django_capture_on_commit_callbacks(execute=True):
        second = invitation_resend(user=user, invited_by=office, base_url=BASE_URL)

    first.refresh_from_db()
    assert first.revoked_at is not None
    assert second.is_usable and second.invited_by == office
    assert len(mailoutbox) == 2
    old_token, new_token = _token(mailoutbox[0]), _token(mailoutbox[1])
    assert old_token != new_token
    with pytest.raises(ApplicationError, match="no longer valid"):
        invitation_accept(token=old_token, password="a-long-enough-password")
    assert invitation_accept(token=new_token, password="a-long-enough-password") == user


def test_resend_to_a_user_who_has_a_password_is_refused(mailoutbox):
    user = employee()

    with pytest.raises(ApplicationError, match="has already set a password"):
        invitation_resend(user=user, invited_by=None, base_url=BASE_URL)
    assert not Invitation.objects.exists()


def test_user_update_changes_profile_and_exactly_the_role_groups():
    user = employee(first_name="Old")
    other_group = Group.objects.create(name="newsletter")
    user.groups.add(other_group)

    user_update(
        user=user,
        data={"first_name": "New", "time_zone": "Europe/Stockholm"},
        roles=[roles.PROJECT_MANAGER, "not a role"],
    )

    user.refresh_from_db()
    assert (user.first_name, user.time_zone) == ("New", "Europe/Stockholm")
    assert set(user.groups.values_list("name", flat=True)) == {
        roles.PROJECT_MANAGER,
        "newsletter",
    }


def test_user_update_to_a_colleagues_email_is_refused_whatever_the_case():
    employee(email="taken@example.no")
    user = employee(email="mine@example.no")

    with pytest.raises(ValidationError):
        user_update(user=user, data={"email": "TAKEN@example.no"})

    user.refresh_from_db()
    assert user.email == "mine@example.no"


def test_user_update_refuses_fields_it_does_not_manage():
    user = employee()

    with pytest.raises(ApplicationError, match="is_superuser"):
        user_update(user=user, data={"is_superuser": True})

    user.refresh_from_db()
    assert not user.is_superuser
