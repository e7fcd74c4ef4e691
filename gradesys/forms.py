from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator


class LoginForm(AuthenticationForm):
    """Django's sign-in form with the username length checked before anything is looked up.

    Usernames have at most 150 characters; a longer one is simply wrong, and the
    login rate limit records the attempted username in a 255-character column.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].validators.append(MaxLengthValidator(150))

    def clean(self):
        if "username" in self.errors:
            # The same message as for a wrong password: nothing to learn from it.
            raise self.get_invalid_login_error()
        return super().clean()
