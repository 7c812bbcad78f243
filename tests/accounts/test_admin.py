"""The user admin: "Add user" invites by e-mail, roles are shown and set, invitations are a log."""

import pytest
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.core import mail
from django.urls import reverse

from apps.accounts import roles
from apps.accounts.models import Invitation, User
from apps.accounts.services import user_invite
from tests.accounts.factories import UserFactory, admin_user, employee, project_manager

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:accounts_user_changelist"
ADD = "admin:accounts_user_add"


def _change_url(user: User) -> str:
    return reverse("admin:accounts_user_change", args=[user.pk])


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _invite_form(**overrides) -> dict:
    data = {
        "email": "Kari.Nordmann@Example.no",
        "first_name": "Kari",
        "last_name": "Nordmann",
        "roles": [roles.EMPLOYEE],
        "language": "nb",
    }
    data.update(overrides)
    return data


def _change_form(user: User, **overrides) -> dict:
    data = {
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "phone": user.phone,
        "language": user.language,
        "time_zone": user.time_zone,
        "is_active": "on",
        "is_staff": "on",
        "roles": [g.name for g in user.groups.all()],
        "invitations-TOTAL_FORMS": "0",
        "invitations-INITIAL_FORMS": "0",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_staff_without_permission_cannot_see_users(client):
    client.force_login(UserFactory())
    assert client.get(reverse(CHANGELIST)).status_code == 403
    assert reverse(CHANGELIST) not in client.get(reverse("admin:index")).content.decode()


def test_employee_cannot_see_users_and_project_manager_only_views_them(client):
    client.force_login(employee())
    assert client.get(reverse(CHANGELIST)).status_code == 403
    client.force_login(project_manager())
    assert client.get(reverse(CHANGELIST)).status_code == 200
    assert client.get(reverse(ADD)).status_code == 403


def test_changelist_shows_each_users_roles(client):
    office = admin_user(first_name="Olga")
    employee(first_name="Emil")
    client.force_login(office)
    content = client.get(reverse(CHANGELIST)).content.decode()
    assert "Administrator" in content
    assert "Employee" in content


def test_add_user_form_asks_no_password(client):
    client.force_login(admin_user())
    form = client.get(reverse(ADD)).context["adminform"].form
    assert set(form.fields) == {"email", "first_name", "last_name", "roles", "language"}


def test_add_user_sends_an_invitation_and_sets_no_password(
    client, django_capture_on_commit_callbacks
):
    office = admin_user()
    client.force_login(office)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse(ADD), _invite_form())
    assert response.status_code == 302
    user = User.objects.get(email="kari.nordmann@example.no")
    assert not user.has_usable_password()
    assert user.has_role(roles.EMPLOYEE)
    assert user.language == "nb"
    invitation = Invitation.objects.get(user=user)
    assert invitation.invited_by == office
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["kari.nordmann@example.no"]
    assert "http://testserver/accounts/invitation/" in mail.outbox[0].body


def test_add_user_with_a_taken_email_is_a_form_error_and_sends_nothing(
    client, django_capture_on_commit_callbacks
):
    UserFactory(email="kari.nordmann@example.no")
    client.force_login(admin_user())
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse(ADD), _invite_form())
    assert response.status_code == 200
    assert "already exists" in " ".join(response.context["adminform"].form.errors["email"])
    assert User.objects.filter(email__iexact="kari.nordmann@example.no").count() == 1
    assert not Invitation.objects.exists()
    assert mail.outbox == []


def test_add_user_with_an_invalid_email_writes_nothing(client):
    client.force_login(admin_user())
    before = User.objects.count()
    response = client.post(reverse(ADD), _invite_form(email="not-an-address"))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["email"]
    assert User.objects.count() == before


def test_admin_changes_a_user_and_their_roles_through_the_service(client):
    office = admin_user()
    colleague = employee(first_name="Emil")
    other_group = Group.objects.create(name="newsletter")
    colleague.groups.add(other_group)
    client.force_login(office)
    data = _change_form(colleague, first_name="Emilie", roles=[roles.PROJECT_MANAGER])
    response = client.post(_change_url(colleague), data)
    assert response.status_code == 302
    colleague.refresh_from_db()
    assert colleague.first_name == "Emilie"
    assert {g.name for g in colleague.groups.all()} == {roles.PROJECT_MANAGER, "newsletter"}


def test_invalid_user_change_writes_nothing(client):
    office = admin_user()
    colleague = employee(first_name="Emil")
    taken = UserFactory()
    client.force_login(office)
    data = _change_form(colleague, email=taken.email, roles=[roles.ADMIN], first_name="X")
    response = client.post(_change_url(colleague), data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    colleague.refresh_from_db()
    assert colleague.first_name == "Emil"
    assert not colleague.has_role(roles.ADMIN)


def test_users_are_not_deleted_only_deactivated(client):
    office = admin_user()
    colleague = employee()
    client.force_login(office)
    url = reverse("admin:accounts_user_delete", args=[colleague.pk])
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert User.objects.filter(pk=colleague.pk).exists()


def test_resend_invitation_action_mails_a_new_link_and_refuses_active_users(
    client, django_capture_on_commit_callbacks
):
    office = admin_user()
    invitee, first = user_invite(email="new@example.no", invited_by=office, base_url="http://x/")
    active = employee()
    client.force_login(office)
    data = {"action": "resend_invitation", "_selected_action": [invitee.pk, active.pk]}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse(CHANGELIST), data, follow=True)
    message = _messages(response)[0]
    assert message.startswith("1 invitation sent; 1 refused:")
    assert "has already set a password" in message
    assert [m.to for m in mail.outbox] == [["new@example.no"]]
    first.refresh_from_db()
    assert first.revoked_at is not None
    assert invitee.invitations.count() == 2


def test_invitation_admin_is_read_only_and_never_shows_the_token(client):
    office = admin_user()
    _user, invitation = user_invite(email="new@example.no", invited_by=office, base_url="x")
    client.force_login(office)
    changelist = client.get(reverse("admin:accounts_invitation_changelist"))
    assert changelist.status_code == 200
    page = client.get(reverse("admin:accounts_invitation_change", args=[invitation.pk]))
    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    for response in (changelist, page):
        assert invitation.token_hash not in response.content.decode()
    assert client.get(reverse("admin:accounts_invitation_add")).status_code == 403
    delete = reverse("admin:accounts_invitation_delete", args=[invitation.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert Invitation.objects.filter(pk=invitation.pk).exists()


def test_user_page_lists_the_invitations_sent(client):
    office = admin_user()
    invitee, _invitation = user_invite(email="new@example.no", invited_by=office, base_url="x")
    client.force_login(office)
    response = client.get(_change_url(invitee))
    assert response.status_code == 200
    content = response.content.decode()
    assert "invitations sent" in content.lower()
    assert "not accepted the invitation" in content


def test_invited_user_is_changed_with_the_invitations_on_the_page(client):
    office = admin_user()
    invitee, invitation = user_invite(
        email="new@example.no", invited_by=office, base_url="x", roles=[roles.EMPLOYEE]
    )
    client.force_login(office)
    data = _change_form(
        invitee,
        last_name="Changed",
        **{
            "invitations-TOTAL_FORMS": "1",
            "invitations-INITIAL_FORMS": "1",
            "invitations-0-id": str(invitation.pk),
            "invitations-0-user": str(invitee.pk),
        },
    )
    assert client.post(_change_url(invitee), data).status_code == 302
    invitee.refresh_from_db()
    assert invitee.last_name == "Changed"
    assert not invitee.has_usable_password()
    assert Invitation.objects.filter(pk=invitation.pk).exists()
