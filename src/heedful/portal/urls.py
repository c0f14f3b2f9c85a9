from django.urls import path

from heedful.portal import account_views, views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("new/", views.new_request, name="new_request"),
    path("new/received/", views.request_received, name="request_received"),
    path("tickets/<int:number>/", views.ticket_detail, name="ticket"),
    path("tickets/<int:number>/reopen/", views.reopen, name="reopen"),
    path("attachments/<int:attachment_id>/", views.attachment, name="attachment"),
    path("sign-in/", account_views.sign_in_view, name="sign_in"),
    path("sign-in/password/", account_views.password_sign_in_view, name="password_sign_in"),
    path("sign-in/<str:token>/", account_views.sign_in_link_view, name="sign_in_link"),
    path("sign-out/", account_views.sign_out_view, name="sign_out"),
    path("profile/", account_views.profile_view, name="profile"),
    path("profile/password/", account_views.set_password_view, name="set_password"),
]
