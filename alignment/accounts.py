"""A user's own account: logging in (throttled, see ``alignment.login_throttle``) and
changing their password."""

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.urls import reverse_lazy

from alignment import login_throttle


class ThrottledLoginMixin:
    """Say how long to wait instead of "wrong password" once the tries ran out."""

    def clean(self):
        self._refuse_while_locked()
        try:
            return super().clean()
        except ValidationError:
            self._refuse_while_locked()  # that failure may have been the last one allowed
            raise

    def _refuse_while_locked(self) -> None:
        wait = login_throttle.seconds_locked(
            username=self.cleaned_data.get("username") or "",
            address=login_throttle.address_of(self.request),
        )
        if wait:
            raise ValidationError(login_throttle.wait_message(wait), code="throttled")


class LoginForm(ThrottledLoginMixin, auth_forms.AuthenticationForm):
    pass


class AdminLoginForm(ThrottledLoginMixin, AdminAuthenticationForm):
    pass


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    """The old password is a password check like any other: wrong ones count against the
    user (a borrowed session must not become a way to guess it)."""

    def __init__(self, user, *args, request=None, **kwargs):
        self.request = request
        super().__init__(user, *args, **kwargs)

    def clean_old_password(self):
        username = self.user.get_username()
        address = login_throttle.address_of(self.request)
        wait = login_throttle.seconds_locked(username=username, address=address)
        if wait:
            raise ValidationError(login_throttle.wait_message(wait), code="throttled")
        try:
            return super().clean_old_password()
        except ValidationError:
            login_throttle.record_failure(username=username, address=address)
            raise


class PasswordChangeView(auth_views.PasswordChangeView):
    form_class = PasswordChangeForm
    template_name = "registration/password_change_page.html"
    success_url = reverse_lazy("password_change_done")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "request": self.request}


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "registration/password_changed.html"
