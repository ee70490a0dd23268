from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "waarborg.access"
    label = "access"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from waarborg.access.sessions import session_start

        user_logged_in.connect(session_start, dispatch_uid="waarborg-session-start")
