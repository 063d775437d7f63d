from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "celltrial.accounts"
    label = "accounts"
    verbose_name = "Accounts"
