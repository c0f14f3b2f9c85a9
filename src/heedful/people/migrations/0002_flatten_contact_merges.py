"""Merges used to leave chains (A into B, then B into C kept A pointing at B). Contact merge now
repoints older merges, so every merged contact points at a live one; this does the same for the
chains already stored. Contact rows only: the timeline is not touched."""

from typing import Any

from django.db import migrations


def flatten(apps: Any, schema_editor: Any) -> None:
    Contact = apps.get_model("people", "Contact")
    pointer = dict(Contact.objects.filter(merged_into__isnull=False)
                   .values_list("id", "merged_into_id"))
    for contact_id, following in pointer.items():
        end, seen = following, {contact_id}
        while end in pointer and end not in seen:
            seen.add(end)
            end = pointer[end]
        if end != following and end != contact_id:
            Contact.objects.filter(pk=contact_id).update(merged_into_id=end)


class Migration(migrations.Migration):
    dependencies = [("people", "0001_initial")]

    operations = [migrations.RunPython(flatten, migrations.RunPython.noop)]
