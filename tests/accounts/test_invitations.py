"""The invitation link from e-mail to a logged-in colleague, through the real pages."""

import datetime
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.accounts import roles
from apps.accounts.models import Invitation, User
from apps.accounts.services import invitation_resend, user_invite
from tests.accounts.factories import admin_user

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "fjord-lantern-4711"


@pytest.fixture
def invited(django_capture_on_commit_callbacks, mailoutbox):
    """An employee invited by an administrator; returns (user, path of the e-mailed link)."""
    with django_capture_on_commit_callbacks(execute=True):
        user, _invitation = user_invite(
            email="nora@example.no",
            first_name="Nora",
            invited_by=admin_user(),
            base_url="http://testserver/",
            roles=[roles.EMPLOYEE],
        )
    assert len(mailoutbox) == 1
    link = re.search(r"http://testserver(/accounts/invitation/[^/\s]+/)", mailoutbox[0].body)
    return user, link.group(1)


def _choose(client, path, password=NEW_PASSWORD, again=None):
    return client.post(
        path, {"new_password1": password, "new_password2": again or password}, follow=False
    )


def test_invitee_opens_the_link_and_sees_the_password_form(client, invited):
    user, path = invited

    response = client.get(path)

    assert response.status_code == 200
    assert "Choose a password for nora@example.no" in response.text
    assert 'name="new_password1"' in response.text
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_invitee_sets_a_password_is_logged_in_and_lands_in_the_admin(client, invited):
    user, path = invited

    response = _choose(client, path)

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")
    assert client.session["_auth_user_id"] == str(user.pk)
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert user.invitations.get().accepted_at is not None
    assert client.get(reverse("admin:index")).status_code == 200


def test_invitee_can_log_in_later_with_the_chosen_password(client, invited):
    _user, path = invited
    _choose(client, path)
    client.logout()

    # Through the real login page (django-axes needs the request a login comes with).
    response = client.post(
        reverse("admin:login"), {"username": "nora@example.no", "password": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


def test_too_short_password_shows_the_validators_error_and_sets_nothing(client, invited):
    user, path = invited

    response = _choose(client, path, password="kort1")

    assert response.status_code == 200
    assert "This password is too short" in response.text
    assert "_auth_user_id" not in client.session
    user.refresh_from_db()
    assert not user.has_usable_password()
    assert user.invitations.get().is_usable


def test_password_like_the_email_is_refused(client, invited):
    _user, path = invited

    response = _choose(client, path, password="nora@example.no")

    assert response.status_code == 200
    assert "too similar" in response.text


def test_passwords_that_do_not_match_are_refused(client, invited):
    user, path = invited

    response = _choose(client, path, again="something-else-entirely")

    assert response.status_code == 200
    assert "didn’t match" in response.text
    user.refresh_from_db()
    assert not user.has_usable_password()


def test_link_works_once_and_then_says_it_was_already_used(client, invited):
    user, path = invited
    _choose(client, path)

    stranger = Client()
    response = stranger.get(path)
    assert response.status_code == 410
    assert "The link has already been used to set a password." in response.text

    response = _choose(stranger, path, password="someone-elses-password-99")
    assert response.status_code == 410
    assert "_auth_user_id" not in stranger.session
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_expired_link_says_it_has_expired(client, invited):
    user, path = invited
    Invitation.objects.filter(user=user).update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )

    response = client.get(path)
    assert response.status_code == 410
    assert "The link has expired." in response.text

    response = _choose(client, path)
    assert response.status_code == 410
    user.refresh_from_db()
    assert not user.has_usable_password()


def test_link_just_before_expiry_still_works(client, invited):
    user, path = invited
    Invitation.objects.filter(user=user).update(
        expires_at=timezone.now() + datetime.timedelta(minutes=1)
    )

    assert _choose(client, path).status_code == 302


def test_unknown_token_says_the_link_is_not_known(client, invited):
    _user, path = invited

    response = client.get(reverse("accounts:invitation", kwargs={"token": "x" * 43}))

    assert response.status_code == 410
    assert "The link is not known" in response.text
    assert client.get(path[:-2] + "/").status_code == 410


def test_resend_revokes_the_old_link(
    client, invited, mailoutbox, django_capture_on_commit_callbacks
):
    user, old_path = invited
    with django_capture_on_commit_callbacks(execute=True):
        invitation_resend(user=user, invited_by=None, base_url="http://testserver")
    new_path = re.search(r"http://testserver(/\S+/)", mailoutbox[1].body).group(1)

    response = client.get(old_path)
    assert response.status_code == 410
    assert "A newer invitation has replaced this link." in response.text

    assert _choose(client, new_path).status_code == 302
    assert User.objects.get(pk=user.pk).check_password(NEW_PASSWORD)


def test_link_of_a_user_deactivated_after_the_invitation_does_not_log_them_in(client, invited):
    user, path = invited
    User.objects.filter(pk=user.pk).update(is_active=False)

    response = client.get(path)
    assert response.status_code == 410
    assert "Your user has been deactivated." in response.text

    response = _choose(client, path)
    assert response.status_code == 410
    assert "_auth_user_id" not in client.session
    user.refresh_from_db()
    assert not user.is_active
    assert not user.has_usable_password()


def test_invitation_page_is_shown_in_the_invitees_language(
    client, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        user_invite(email="sven@example.se", invited_by=None, base_url="http://testserver")
    path = re.search(r"http://testserver(/\S+/)", mailoutbox[0].body).group(1)

    response = client.get(path, HTTP_ACCEPT_LANGUAGE="sv")

    assert response.status_code == 200
    assert response["Content-Language"] == "sv"


def test_after_accepting_the_screens_are_in_the_language_of_the_profile(
    client, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        user_invite(
            email="freja@example.dk",
            invited_by=None,
            base_url="http://testserver",
            roles=[roles.EMPLOYEE],
            language="da",
        )
    path = re.search(r"http://testserver(/\S+/)", mailoutbox[0].body).group(1)
    _choose(client, path)

    response = client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert response["Content-Language"] == "da"
