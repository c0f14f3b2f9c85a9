"""Settings pages of the agent UI, under /settings/ (names in the web namespace)."""

from django.urls import path

from heedful.web.views import (
    settings,
    settings_fields,
    settings_mailboxes,
    settings_replies,
    settings_teams,
)

urlpatterns = [
    path("", settings.index_view, name="settings"),
    path("saved-replies/", settings_replies.my_replies_view, name="settings_my_replies"),
    path("saved-replies/new/", settings_replies.my_reply_edit_view, name="settings_my_reply_new"),
    path("saved-replies/<int:reply_id>/", settings_replies.my_reply_edit_view,
         name="settings_my_reply"),
    path("saved-replies/<int:reply_id>/active", settings_replies.my_reply_active_view,
         name="settings_my_reply_active"),
    path("shared-replies/", settings_replies.shared_replies_view, name="settings_shared_replies"),
    path("shared-replies/new/", settings_replies.shared_reply_edit_view,
         name="settings_shared_reply_new"),
    path("shared-replies/<int:reply_id>/", settings_replies.shared_reply_edit_view,
         name="settings_shared_reply"),
    path("shared-replies/<int:reply_id>/active", settings_replies.shared_reply_active_view,
         name="settings_shared_reply_active"),
    path("fields/", settings_fields.fields_view, name="settings_fields"),
    path("fields/new/", settings_fields.field_edit_view, name="settings_field_new"),
    path("fields/<int:field_id>/", settings_fields.field_edit_view, name="settings_field"),
    path("fields/<int:field_id>/active", settings_fields.field_active_view,
         name="settings_field_active"),
    path("teams/", settings_teams.teams_view, name="settings_teams"),
    path("teams/new/", settings_teams.team_edit_view, name="settings_team_new"),
    path("teams/<int:team_id>/", settings_teams.team_edit_view, name="settings_team"),
    path("mailboxes/", settings_mailboxes.mailboxes_view, name="settings_mailboxes"),
    path("mailboxes/new/", settings_mailboxes.mailbox_edit_view, name="settings_mailbox_new"),
    path("mailboxes/<int:mailbox_id>/", settings_mailboxes.mailbox_edit_view,
         name="settings_mailbox"),
    path("mailboxes/<int:mailbox_id>/active", settings_mailboxes.mailbox_active_view,
         name="settings_mailbox_active"),
    path("contact-options/", settings.contact_options_view, name="settings_contact"),
    path("roles/", settings.roles_view, name="settings_roles"),
    path("roles/agents/<int:agent_id>/", settings.role_change_view, name="settings_agent_role"),
]
