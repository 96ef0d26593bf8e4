from django.urls import path

from scenarios.api import (
    RunDetail,
    RunJUnit,
    RunSessionEvents,
    ScenarioDetail,
    ScenarioFolderDetail,
    ScenarioFolderListCreate,
    ScenarioHistory,
    ScenarioListCreate,
    ScenarioRuns,
    SuiteDetail,
    SuiteJUnit,
    SuiteRuns,
)

R = "projects/<int:project_id>/"
P = R + "scenarios/"

urlpatterns = [
    path(P, ScenarioListCreate.as_view()),
    path(P + "<int:scenario_id>/", ScenarioDetail.as_view()),
    path(P + "<int:scenario_id>/history/", ScenarioHistory.as_view()),
    path(P + "<int:scenario_id>/runs/", ScenarioRuns.as_view()),
    path(R + "runs/<int:run_id>/", RunDetail.as_view()),
    path(R + "suite-runs/", SuiteRuns.as_view()),
    path(R + "scenario-folders/", ScenarioFolderListCreate.as_view()),
    path(R + "scenario-folders/<int:folder_id>/", ScenarioFolderDetail.as_view()),
    path(R + "suite-runs/<int:suite_id>/", SuiteDetail.as_view()),
    path(R + "runs/<int:run_id>/junit.xml", RunJUnit.as_view()),
    path(R + "runs/<int:run_id>/sessions/<int:session_id>/events/", RunSessionEvents.as_view()),
    path(R + "suite-runs/<int:suite_id>/junit.xml", SuiteJUnit.as_view()),
]
