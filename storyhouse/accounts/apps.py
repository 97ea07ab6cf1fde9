from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "storyhouse.accounts"
    label = "accounts"
    verbose_name = "Accounts"
