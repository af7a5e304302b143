"""Roles are Django groups; this module is the one place that knows their names.

Pages use ``RoleRequiredMixin``, the API uses ``HasRole``; both ask ``has_role``.
Superusers may do everything.
"""

from collections.abc import Iterable

from django.contrib.auth.mixins import AccessMixin
from rest_framework.permissions import SAFE_METHODS, BasePermission

MARKETING = "marketing"
SALES = "sales"
MANAGER = "manager"
ALL_ROLES = (MARKETING, SALES, MANAGER)


def roles_of(user) -> set[str]:
    """The role names a user holds (cached on the user object for the request)."""
    if not getattr(user, "is_authenticated", False):
        return set()
    cached = getattr(user, "_tandem_roles", None)
    if cached is None:
        cached = set(user.groups.filter(name__in=ALL_ROLES).values_list("name", flat=True))
        user._tandem_roles = cached
    return cached


def has_role(user, *roles: str) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    return bool(roles_of(user) & set(roles))


def has_any_role(user) -> bool:
    return has_role(user, *ALL_ROLES)


#: The two sides that sign the alignment agreement, named after their teams' roles.
SIGNING_SIDES = (MARKETING, SALES)


def signing_sides(user) -> list[str]:
    """The sides of the agreement ``user`` may approve.

    A marketing manager (the ``manager`` and ``marketing`` roles) signs for marketing, a
    sales manager (``manager`` and ``sales``) for sales; a superuser may sign for either.
    Someone holding both still signs each version once: the other side needs another
    person (``approve_agreement`` and a database constraint see to it).
    """
    if not getattr(user, "is_authenticated", False):
        return []
    if user.is_superuser:
        return list(SIGNING_SIDES)
    roles = roles_of(user)
    if MANAGER not in roles:
        return []
    return [side for side in SIGNING_SIDES if side in roles]


class RoleRequiredMixin(AccessMixin):
    """A page open to the roles in ``allowed_roles`` (all roles when empty)."""

    allowed_roles: Iterable[str] = ()

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        roles = tuple(self.allowed_roles) or ALL_ROLES
        if not has_role(request.user, *roles):
            self.raise_exception = True
            return self.handle_no_permission()
        return super().dispatch(request, *args, **kwargs)


class HasRole(BasePermission):
    """API permission: reads open to ``read_roles``, writes to ``write_roles``.

    Subclass with ``read_roles``/``write_roles`` or build one with ``HasRole.of(...)``.
    """

    read_roles: tuple[str, ...] = ALL_ROLES
    write_roles: tuple[str, ...] = ALL_ROLES

    @classmethod
    def of(cls, *, read: Iterable[str] = ALL_ROLES, write: Iterable[str] = ()) -> type:
        return type("HasRole", (cls,), {"read_roles": tuple(read), "write_roles": tuple(write)})

    def has_permission(self, request, view) -> bool:
        roles = self.read_roles if request.method in SAFE_METHODS else self.write_roles
        return has_role(request.user, *roles)
