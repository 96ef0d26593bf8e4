from django.urls import path

from scenarios.api import ScenarioDetail, ScenarioHistory, ScenarioListCreate

P = "projects/<int:project_id>/scenarios/"

urlpatterns = [
    path(P, ScenarioListCreate.as_view()),
    path(P + "<int:scenario_id>/", ScenarioDetail.as_view()),
    path(P + "<int:scenario_id>/history/", ScenarioHistory.as_view()),
]
