"""Who may call an endpoint at all; which rows they then see is decided by the selectors."""

from typing import Any

from rest_framework import permissions


class ModelPermissions(permissions.DjangoModelPermissions):
    """Django's model permissions, reading included: without `view_<model>` the answer is 403.

    The model is the view's `permission_model` (so a bad filter in `get_queryset` cannot
    answer before the permission check does). A view may name the permissions of its extra
    actions in `action_permissions` (action name -> permission codenames); the service then
    decides about the row itself.
    """

    perms_map = {
        **permissions.DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
    }

    def has_permission(self, request: Any, view: Any) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        action_permissions = getattr(view, "action_permissions", {})
        action = getattr(view, "action", None)
        if action in action_permissions:
            return request.user.has_perms(action_permissions[action])
        model = getattr(view, "permission_model", None) or self._queryset(view).model
        return request.user.has_perms(self.get_required_permissions(request.method, model))


class HasAnyPermission(permissions.BasePermission):
    """Lets the user through when they hold at least one of `any_permissions`."""

    any_permissions: tuple[str, ...] = ()

    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        return bool(
            user
            and user.is_authenticated
            and any(user.has_perm(perm) for perm in self.any_permissions)
        )
