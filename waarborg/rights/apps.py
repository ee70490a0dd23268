from django.apps import AppConfig


class RightsConfig(AppConfig):
    name = "waarborg.rights"
    label = "rights"
    verbose_name = "Data-subject requests"

    def ready(self) -> None:
        from waarborg.rights import checks  # noqa: F401 - registers the system checks
        from waarborg.rights.services import copies_forget
        from waarborg.vault.erasures import copies_erase

        # An erasure (vault, retention sweep, a restore's replay) also clears what requests
        # gathered about the person.
        copies_erase.connect(copies_forget, dispatch_uid="waarborg-rights-copies")
