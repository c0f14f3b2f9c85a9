"""IMAP polling against a real Dovecot: each message imported once, then flagged or moved; UIDs and
UIDVALIDITY tracked; problems recorded on the mailbox with a line that says what to do."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from heedful.core.management.commands.heedful_worker import requeue_stale_tasks
from heedful.core.models import PeriodicJob
from heedful.core.schedule import run_due
from heedful.mail.crypto import decrypt_secret, encrypt_secret
from heedful.mail.imap import fetch_all, fetch_mailbox_by_id, quote_folder
from heedful.mail.models import Mailbox, RawMessage
from heedful.mail.tasks import fetch_mailbox, process_raw_message
from heedful.tickets.models import Ticket
from tests.mail.dovecot import Dovecot
from tests.mail.helpers import raw_mail

pytestmark = pytest.mark.django_db

SEEN = b"\\Seen"


def test_fetch_imports_new_messages_once(imap_mailbox, dovecot, run_tasks):
    dovecot.append(raw_mail(subject="First"))
    dovecot.append(raw_mail(subject="Second"))
    lines = fetch_all()
    assert "2 new" in lines[0]
    assert RawMessage.objects.filter(via=RawMessage.Via.IMAP, mailbox=imap_mailbox).count() == 2

    assert "0 new" in fetch_all()[0]
    assert RawMessage.objects.count() == 2

    dovecot.append(raw_mail(subject="Third"))
    assert "1 new" in fetch_mailbox_by_id(imap_mailbox.pk)
    run_tasks()
    assert sorted(Ticket.objects.values_list("subject", flat=True)) == ["First", "Second", "Third"]
    imap_mailbox.refresh_from_db()
    assert imap_mailbox.imap_last_uid == 3 and imap_mailbox.imap_last_error == ""
    assert imap_mailbox.imap_checked_at is not None


def test_imported_message_is_flagged_seen_only_after_import(imap_mailbox, dovecot):
    dovecot.append(raw_mail())
    assert SEEN not in dovecot.messages()[0][1]
    fetch_all()
    assert SEEN in dovecot.messages()[0][1]
    assert RawMessage.objects.count() == 1


def test_move_mode_moves_message_to_folder(imap_mailbox, dovecot):
    imap_mailbox.after_import = Mailbox.AfterImport.MOVE
    imap_mailbox.move_to_folder = "Imported"  # does not exist yet: created on first move
    imap_mailbox.save()
    dovecot.append(raw_mail(subject="Move me"))
    line = fetch_mailbox_by_id(imap_mailbox.pk)
    assert "1 new" in line, line
    assert dovecot.messages("INBOX") == []
    assert len(dovecot.messages("Imported")) == 1
    assert RawMessage.objects.count() == 1


def test_nothing_mode_leaves_message_unread(imap_mailbox, dovecot):
    Mailbox.objects.filter(pk=imap_mailbox.pk).update(after_import=Mailbox.AfterImport.NOTHING)
    dovecot.append(raw_mail())
    fetch_all()
    fetch_all()
    assert SEEN not in dovecot.messages()[0][1]
    assert RawMessage.objects.count() == 1


def test_uidvalidity_change_does_not_duplicate(imap_mailbox, dovecot, run_tasks):
    Mailbox.objects.filter(pk=imap_mailbox.pk).update(imap_folder="Support")
    first, second = raw_mail(subject="One"), raw_mail(subject="Two")
    dovecot.append(first, "Support")
    dovecot.append(second, "Support")
    fetch_all()
    imap_mailbox.refresh_from_db()
    old_validity = imap_mailbox.imap_uidvalidity
    assert old_validity and imap_mailbox.imap_last_uid == 2

    conn = dovecot.client()
    conn.delete("Support")  # the folder comes back with new UIDs and a new UIDVALIDITY
    conn.logout()
    dovecot.append(first, "Support")
    dovecot.append(second, "Support")
    dovecot.append(raw_mail(subject="Three"), "Support")
    line = fetch_all()[0]
    assert "1 new, 2 already known" in line, line
    imap_mailbox.refresh_from_db()
    assert imap_mailbox.imap_uidvalidity != old_validity
    assert imap_mailbox.imap_last_uid == 3
    run_tasks()
    assert RawMessage.objects.count() == 3 and Ticket.objects.count() == 3


def test_wrong_password_is_recorded_with_what_to_do(imap_mailbox, dovecot):
    Mailbox.objects.filter(pk=imap_mailbox.pk).update(
        imap_password_encrypted=encrypt_secret("not the password"))
    dovecot.append(raw_mail())
    line = fetch_mailbox_by_id(imap_mailbox.pk)
    assert "refused the login" in line and "check the IMAP user and password" in line
    imap_mailbox.refresh_from_db()
    assert "refused the login" in imap_mailbox.imap_last_error
    assert not RawMessage.objects.exists()
    assert SEEN not in dovecot.messages()[0][1]


def test_one_failing_mailbox_does_not_stop_the_others(imap_mailbox, dovecot):
    broken = Mailbox.objects.create(name="Broken", address="broken@heedful.test",
                                    imap_host="127.0.0.1", imap_port=1, imap_ssl=False,
                                    imap_username="x", imap_password_encrypted=encrypt_secret("x"))
    dovecot.append(raw_mail())
    lines = fetch_all()
    assert len(lines) == 2
    assert any("cannot connect to 127.0.0.1:1" in line and "check the IMAP host" in line
               for line in lines)
    broken.refresh_from_db()
    assert "cannot connect" in broken.imap_last_error
    assert RawMessage.objects.filter(mailbox=imap_mailbox).count() == 1


def test_oversized_message_is_skipped_and_left_unread(imap_mailbox, dovecot, settings):
    settings.MAIL_MAX_BYTES = 5000
    dovecot.append(raw_mail(subject="Huge", body="x" * 80 + "\n" * 100 + "y" * 6000))
    dovecot.append(raw_mail(subject="Small"))
    line = fetch_all()[0]
    assert "1 new" in line and "over the limit" in line and "UID 1" in line
    assert RawMessage.objects.count() == 1
    flags = dict(dovecot.messages())
    assert SEEN not in flags[1] and SEEN in flags[2]
    imap_mailbox.refresh_from_db()
    assert imap_mailbox.imap_last_uid == 2 and "over the limit" in imap_mailbox.imap_last_error
    assert "0 new" in fetch_all()[0]  # not retried on every run


def test_password_entered_in_admin_is_stored_encrypted(client, admin_agent, dovecot):
    client.force_login(admin_agent.user)
    secret = "correct horse battery staple"
    response = client.post("/admin/mail/mailbox/add/", {
        "name": "Support", "address": "help@heedful.test", "auto_acknowledge": "on", "active": "on",
        "imap_host": dovecot.host, "imap_port": dovecot.port, "imap_username": dovecot.user,
        "imap_password": secret, "imap_folder": "INBOX", "after_import": "flag",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    mailbox = Mailbox.objects.get()
    with connection.cursor() as cursor:
        cursor.execute("SELECT imap_password_encrypted FROM mail_mailbox WHERE id = %s", [mailbox.pk])
        stored = cursor.fetchone()[0]
    assert secret not in stored and stored.startswith("fernet:")
    assert decrypt_secret(stored) == secret
    page = client.get(f"/admin/mail/mailbox/{mailbox.pk}/change/").content.decode()
    assert secret not in page and stored not in page

    # Saving again without a password keeps the stored one.
    client.post(f"/admin/mail/mailbox/{mailbox.pk}/change/", {
        "name": "Support desk", "address": "help@heedful.test", "active": "on",
        "imap_host": dovecot.host, "imap_port": dovecot.port, "imap_username": dovecot.user,
        "imap_password": "", "imap_folder": "INBOX", "after_import": "flag",
    })
    mailbox.refresh_from_db()
    assert mailbox.name == "Support desk" and decrypt_secret(mailbox.imap_password_encrypted) == secret


def test_admin_fetch_now_action_reports_the_result(client, admin_agent, imap_mailbox, dovecot):
    client.force_login(admin_agent.user)
    dovecot.append(raw_mail())
    response = client.post("/admin/mail/mailbox/", {
        "action": "fetch_now", "_selected_action": [imap_mailbox.pk]}, follow=True)
    assert "1 new" in response.content.decode()
    assert RawMessage.objects.count() == 1


def _waiting_fetches() -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(task_path=fetch_mailbox.module_path, status="READY"))


def test_each_mailbox_is_fetched_once_per_poll_interval(imap_mailbox, dovecot, run_tasks, settings):
    poll = timedelta(seconds=settings.IMAP_POLL_SECONDS)
    start = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
    dovecot.append(raw_mail())
    assert f"mail.fetch_mailbox[{imap_mailbox.pk}]" in run_due(now=start)
    [fetch] = _waiting_fetches()
    assert fetch.args_kwargs["kwargs"] == {"mailbox_id": imap_mailbox.pk}
    assert not _fetches_started(run_due(now=start))  # the same period: not twice
    run_tasks()
    assert RawMessage.objects.count() == 1
    assert not _fetches_started(run_due(now=start + poll - timedelta(seconds=1)))
    assert _fetches_started(run_due(now=start + poll)) == [f"mail.fetch_mailbox[{imap_mailbox.pk}]"]


def test_a_deactivated_mailbox_is_not_fetched_any_more(imap_mailbox, dovecot, run_tasks):
    start = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
    run_due(now=start)
    run_tasks()
    Mailbox.objects.filter(pk=imap_mailbox.pk).update(active=False)
    assert not _fetches_started(run_due(now=start + timedelta(days=1)))
    assert _waiting_fetches() == []


def _fetches_started(names: list[str]) -> list[str]:
    return [name for name in names if name.startswith("mail.fetch_mailbox[")]


def test_imaps_with_untrusted_certificate_is_refused(db, dovecot_tls):
    mailbox = _tls_mailbox(dovecot_tls)
    line = fetch_mailbox_by_id(mailbox.pk)
    assert "is not trusted" in line, line
    assert not RawMessage.objects.exists()


def test_imaps_with_trusted_certificate_imports(db, dovecot_tls, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(dovecot_tls.cafile))  # as a private CA would be
    mailbox = _tls_mailbox(dovecot_tls)
    dovecot_tls.append(raw_mail())
    line = fetch_mailbox_by_id(mailbox.pk)
    assert "1 new" in line, line
    assert RawMessage.objects.filter(mailbox=mailbox).count() == 1


def _tls_mailbox(server: Dovecot) -> Mailbox:
    return Mailbox.objects.create(
        name="Secure", address="secure@heedful.test", imap_host="localhost", imap_port=server.port,
        imap_ssl=True, imap_username=server.user,
        imap_password_encrypted=encrypt_secret(server.password))


@pytest.mark.django_db(transaction=True)  # the worker closes connections between jobs
def test_worker_requeues_a_task_left_running_by_a_dead_worker(settings):
    settings.TASK_STALE_SECONDS = 600
    result = process_raw_message.enqueue(raw_id=987654)
    row: Any = DBTaskResult.objects.get(pk=result.id)
    row.status, row.started_at = "RUNNING", timezone.now() - timedelta(seconds=30)
    row.save()
    assert requeue_stale_tasks() == 0  # still young: its worker may be alive
    DBTaskResult.objects.filter(pk=row.pk).update(started_at=timezone.now() - timedelta(hours=1))
    call_command("heedful_worker", batch=True, interval=0, verbosity=0)
    row.refresh_from_db()
    assert row.status == "SUCCESSFUL" and row.return_value == "skipped"


def test_folder_names_are_quoted_for_imap():
    assert quote_folder("INBOX") == '"INBOX"'
    assert quote_folder('a "b" \\c') == '"a \\"b\\" \\\\c"'
    assert quote_folder("Entwürfe & Co") == '"Entw&APw-rfe &- Co"'


@pytest.mark.django_db(transaction=True)  # the worker closes connections between jobs
def test_worker_start_schedules_polling_and_fetches(imap_mailbox, dovecot):
    dovecot.append(raw_mail(subject="Fetched by the worker"))
    call_command("heedful_worker", batch=True, interval=0, verbosity=0)
    assert RawMessage.objects.get().mailbox == imap_mailbox
    assert Ticket.objects.get().subject == "Fetched by the worker"
    job = PeriodicJob.objects.get(name=f"mail.fetch_mailbox[{imap_mailbox.pk}]")
    assert DBTaskResult.objects.get(pk=job.last_task_id).status == "SUCCESSFUL"
