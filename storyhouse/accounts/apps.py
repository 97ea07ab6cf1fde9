from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "storyhouse.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from . import receivers

        receivers.connect()
