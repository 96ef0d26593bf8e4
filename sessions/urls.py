from django.urls import path

from sessions import api, certificate_api, control_api

urlpatterns = [
    path("sessions/", api.SessionListCreate.as_view()),
    path("sessions/format/", api.FormatBody.as_view()),
    path("sessions/<int:session_id>/", api.SessionDetail.as_view()),
    path("sessions/<int:session_id>/connect/", api.SessionConnect.as_view()),
    path("sessions/<int:session_id>/disconnect/", api.SessionDisconnect.as_view()),
    path("sessions/<int:session_id>/messages/", api.SessionMessages.as_view()),
    path("sessions/<int:session_id>/events/", api.SessionEvents.as_view()),
    path("sessions/<int:session_id>/events/<int:seq>/", api.SessionEventDetail.as_view()),
    path("sessions/<int:session_id>/connections/", api.SessionConnections.as_view()),
    path("sessions/<int:session_id>/save/", api.SessionSave.as_view()),
    path("sessions/<int:session_id>/ping/", control_api.SessionPing.as_view()),
    path("sessions/<int:session_id>/emit/", control_api.SessionEmit.as_view()),
    path("sessions/<int:session_id>/timers/", control_api.SessionTimers.as_view()),
    path("sessions/<int:session_id>/timers/<int:timer_id>/", control_api.SessionTimer.as_view()),
    path("projects/<int:project_id>/ca-bundle/", api.ProjectCABundleView.as_view()),
    path(
        "projects/<int:project_id>/client-certificates/",
        certificate_api.ClientCertificateList.as_view(),
    ),
    path(
        "projects/<int:project_id>/client-certificates/<int:certificate_id>/",
        certificate_api.ClientCertificateDetail.as_view(),
    ),
]
