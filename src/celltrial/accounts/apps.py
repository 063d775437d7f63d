from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "celltrial.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from celltrial.accounts import permissions, roles, signatures
        from celltrial.core import hooks
        from celltrial.core.rooms import declared

        # Each room's permissions join the registry; deny by default for anything undeclared.
        for room, declared_permissions in declared("permissions"):
            roles.register(declared_permissions, room.label)
        hooks.access.provide(permissions.actor_may)
        hooks.after_change.provide(signatures.void_stale_signatures)
        hooks.signatures_voided_by.provide(signatures.would_void)
        # Django's own last_login update would save the user outside the auditing services;
        # accounts.services records the login itself.
        from django.contrib.auth.models import update_last_login

        user_logged_in.disconnect(update_last_login, dispatch_uid="update_last_login")
