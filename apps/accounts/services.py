"""Inviting colleagues and accepting invitations; API tokens."""

import hashlib
import secrets
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from apps.accounts.models import ApiToken, Invitation, User
from apps.accounts.roles import ROLE_LABELS
from apps.core.exceptions import ApplicationError
from apps.core.services import model_update

USER_EDITABLE_FIELDS = [
    "email",
    "first_name",
    "last_name",
    "phone",
    "language",
    "time_zone",
    "is_active",
    "is_staff",
]


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def user_invite(
    *,
    email: str,
    invited_by: User | None,
    base_url: str,
    first_name: str = "",
    last_name: str = "",
    roles: Iterable[str] = (),
    language: str = "",
) -> tuple[User, Invitation]:
    """Creates the user (no password yet) and e-mails them a one-time link after commit."""
    email = User.objects.normalize_email(email).strip().lower()
    exists = ApplicationError(_("A user with this e-mail address already exists."), field="email")
    if User.objects.filter(email__iexact=email).exists():
        raise exists
    user = User(
        email=email, first_name=first_name, last_name=last_name, language=language, is_staff=True
    )
    user.set_unusable_password()
    user.full_clean(exclude=["password"])
    try:
        with transaction.atomic():
            user.save()
            if roles:
                user.groups.set(Group.objects.filter(name__in=list(roles)))
            invitation, token = _new_invitation(user=user, invited_by=invited_by)
    except IntegrityError as exc:  # the same address invited twice at once
        raise exists from exc
    transaction.on_commit(lambda: _send_invitation(invitation, token, base_url))
    return user, invitation


def user_update(*, user: User, data: dict[str, Any], roles: Iterable[str] | None = None) -> User:
    """Changes a user's profile; when `roles` is given the user has exactly those roles."""
    changed = model_update(instance=user, data=data, fields=USER_EDITABLE_FIELDS)
    if changed:
        user.full_clean(exclude=["password"])
    with transaction.atomic():
        if changed:
            user.save(update_fields=changed)
        if roles is not None:
            wanted = set(roles)
            # Only role groups are touched: any other group the user is in stays.
            user.groups.remove(*Group.objects.filter(name__in=set(ROLE_LABELS) - wanted))
            user.groups.add(*Group.objects.filter(name__in=wanted & set(ROLE_LABELS)))
    return user


def invitation_resend(*, user: User, invited_by: User | None, base_url: str) -> Invitation:
    """Revokes the user's open links and e-mails a fresh one."""
    if user.has_usable_password():
        raise ApplicationError(_("%(user)s has already set a password.") % {"user": user})
    with transaction.atomic():
        user.invitations.filter(accepted_at__isnull=True, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        invitation, token = _new_invitation(user=user, invited_by=invited_by)
    transaction.on_commit(lambda: _send_invitation(invitation, token, base_url))
    return invitation


def _new_invitation(*, user: User, invited_by: User | None) -> tuple[Invitation, str]:
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        user=user,
        invited_by=invited_by,
        token_hash=_hash(token),
        expires_at=timezone.now() + timedelta(hours=settings.INVITATION_MAX_AGE_HOURS),
    )
    return invitation, token


def _send_invitation(invitation: Invitation, token: str, base_url: str) -> None:
    user = invitation.user
    link = base_url.rstrip("/") + reverse("accounts:invitation", kwargs={"token": token})
    with translation.override(user.language or translation.get_language()):
        context = {
            "user": user,
            "link": link,
            "invited_by": invitation.invited_by,
            "expires_at": invitation.expires_at,
        }
        subject = _("You are invited to Tidsbro")
        body = render_to_string("accounts/email/invitation.txt", context)
    send_mail(subject, body, None, [user.email])


def invitation_get(*, token: str) -> Invitation | None:
    """The invitation behind a link, whatever its state (None if the link is unknown)."""
    return Invitation.objects.select_related("user").filter(token_hash=_hash(token)).first()


def invitation_accept(*, token: str, password: str) -> User:
    """Sets the invitee's password and uses up the link; refuses an expired or used link."""
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update()
            .select_related("user")
            .filter(token_hash=_hash(token))
            .first()
        )
        if invitation is None or not invitation.is_usable:
            raise ApplicationError(_("This invitation link is no longer valid."))
        user = invitation.user
        if not user.is_active:  # deactivated after the invitation was sent: that decision wins
            raise ApplicationError(_("This user has been deactivated."))
        user.set_password(password)
        user.save(update_fields=["password"])
        invitation.accepted_at = timezone.now()
        invitation.save(update_fields=["accepted_at"])
    return user


# API TOKENS
# ------------------------------------------------------------------------------
# A key is 40 random hex characters; only its SHA-256 digest is stored (a key this random
# needs no slow hash), so a leaked database or an administrator's screen reveals no key.
API_TOKEN_LAST_USED_EVERY = timedelta(minutes=1)  # one write a minute, not one per request


def api_token_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Makes a token for `user`; returns it and its key, which is never available again."""
    key = secrets.token_hex(20)
    token = ApiToken(user=user, name=name.strip(), prefix=key[:8], digest=api_token_digest(key))
    token.full_clean(exclude=["digest", "prefix"])
    with transaction.atomic():
        token.save()
    return token, key


def api_token_revoke(*, token: ApiToken, actor: User) -> None:
    """Deletes a token: its key stops working at once. Own tokens, or anyone's for admins."""
    if token.user_id != actor.pk and not actor.has_perm("accounts.manage_all_apitoken"):
        raise ApplicationError(_("You may only revoke your own API tokens."))
    token.delete()


def api_token_authenticate(*, key: str) -> ApiToken | None:
    """The token with this key (and its user), noting when it was last used; None if none."""
    if not key or len(key) > 200:
        return None
    token = ApiToken.objects.select_related("user").filter(digest=api_token_digest(key)).first()
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= API_TOKEN_LAST_USED_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
