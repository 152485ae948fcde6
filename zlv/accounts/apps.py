from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "zlv.accounts"
    verbose_name = "Comptes et structures"
