from django.urls import include, path

from heedful.web.views import auth, contacts, mail, new_ticket, organizations, queue, ticket

app_name = "web"
urlpatterns = [
    path("login/", auth.login_view, name="login"),
    path("logout/", auth.logout_view, name="logout"),
    path("", queue.queue_view, name="queue"),
    path("bulk/", queue.bulk_view, name="bulk"),
    path("saved-filters/", queue.saved_filter_create, name="saved_filter_create"),
    path("saved-filters/<int:filter_id>/delete/", queue.saved_filter_delete, name="saved_filter_delete"),
    path("tickets/new/", new_ticket.new_ticket_view, name="new_ticket"),
    path("tickets/<int:number>/", ticket.ticket_view, name="ticket"),
    path("tickets/<int:number>/reply/", ticket.reply_view, name="reply"),
    path("tickets/<int:number>/update/", ticket.update_view, name="update"),
    path("tickets/<int:number>/merge/", ticket.merge_view, name="merge"),
    path("tickets/<int:number>/split/", ticket.split_view, name="split"),
    path("tickets/<int:number>/presence", ticket.presence_view, name="presence"),
    path("tickets/<int:number>/saved-replies/<int:reply_id>/", ticket.saved_reply_view, name="saved_reply"),
    path("tickets/<int:number>/spam", mail.spam_view, name="spam"),
    path("tickets/<int:number>/events/<int:event_id>/held", mail.held_view, name="held"),
    path("attachments/<int:attachment_id>/", ticket.attachment_view, name="attachment"),
    path("contacts/", contacts.contact_list, name="contacts"),
    path("contacts/<int:contact_id>/", contacts.contact_view, name="contact"),
    path("contacts/<int:contact_id>/edit/", contacts.contact_edit, name="contact_edit"),
    path("contacts/<int:contact_id>/identities/", contacts.identity_add, name="identity_add"),
    path("contacts/<int:contact_id>/identities/<int:identity_id>/remove/", contacts.identity_remove,
         name="identity_remove"),
    path("contacts/<int:contact_id>/merge/", contacts.contact_merge, name="contact_merge"),
    path("organizations/", organizations.organization_list, name="organizations"),
    path("organizations/<int:organization_id>/", organizations.organization_view, name="organization"),
    path("organizations/<int:organization_id>/edit/", organizations.organization_edit,
         name="organization_edit"),
    path("settings/", include("heedful.web.views.settings_urls")),
]
