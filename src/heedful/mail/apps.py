from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "heedful.mail"
    label = "mail"

    def ready(self) -> None:
        from heedful.core.services import register_service
        from heedful.mail.delivery import MailDelivery
        from heedful.mail.kinds import register_mail_kinds
        from heedful.mail.scheduling import register_periodic_jobs
        from heedful.mail.smtp_server import start_intake_service
        from heedful.tickets.delivery import register_backend

        register_backend(MailDelivery())
        register_mail_kinds()
        register_periodic_jobs()
        register_service("mail.intake", start_intake_service)
