from django.urls import include, path

from endpoints import api

urlpatterns = [
    path("projects/", api.ProjectListCreate.as_view()),
    path("projects/<int:project_id>/", api.ProjectDetail.as_view()),
    path("projects/<int:project_id>/members/", api.MemberListCreate.as_view()),
    path("projects/<int:project_id>/members/<int:user_id>/", api.MemberDetail.as_view()),
    path("projects/<int:project_id>/folders/", api.FolderListCreate.as_view()),
    path("projects/<int:project_id>/folders/<int:folder_id>/", api.FolderDetail.as_view()),
    path("projects/<int:project_id>/endpoints/", api.EndpointListCreate.as_view()),
    path("projects/<int:project_id>/endpoints/batch/", api.EndpointBatch.as_view()),
    path("projects/<int:project_id>/endpoints/<int:endpoint_id>/", api.EndpointDetail.as_view()),
    path("projects/<int:project_id>/tree/", api.Tree.as_view()),
    path("projects/<int:project_id>/tags/", api.TagListCreate.as_view()),
    path("projects/<int:project_id>/tags/<int:tag_id>/", api.TagDetail.as_view()),
    path("projects/<int:project_id>/share-links/", include("docs_app.api_urls")),
    path("projects/<int:project_id>/environments/", api.EnvironmentListCreate.as_view()),
    path(
        "projects/<int:project_id>/environments/<int:environment_id>/",
        api.EnvironmentDetail.as_view(),
    ),
    path("projects/<int:project_id>/variables/", api.VariableListCreate.as_view()),
    path("projects/<int:project_id>/variables/<int:variable_id>/", api.VariableDetail.as_view()),
    path(
        "projects/<int:project_id>/variables/<int:variable_id>/current/",
        api.VariableCurrentValue.as_view(),
    ),
    path(
        "projects/<int:project_id>/endpoints/<int:endpoint_id>/variables/",
        api.EndpointVariables.as_view(),
    ),
    path(
        "projects/<int:project_id>/endpoints/<int:endpoint_id>/preview/",
        api.EndpointPreview.as_view(),
    ),
    path(
        "projects/<int:project_id>/endpoints/<int:endpoint_id>/history/",
        api.EndpointHistory.as_view(),
    ),
    path(
        "projects/<int:project_id>/endpoints/<int:endpoint_id>/history/<int:revision_id>/",
        api.EndpointRevisionDetail.as_view(),
    ),
    path(
        "projects/<int:project_id>/endpoints/<int:endpoint_id>/history/<int:revision_id>/revert/",
        api.EndpointRevert.as_view(),
    ),
    path("projects/<int:project_id>/folders/<int:folder_id>/history/", api.FolderHistory.as_view()),
    path(
        "projects/<int:project_id>/endpoints/<int:endpoint_id>/comments/",
        api.CommentListCreate.as_view(),
    ),
    path(
        "projects/<int:project_id>/endpoints/<int:endpoint_id>/comments/<int:comment_id>/",
        api.CommentDetail.as_view(),
    ),
    path(
        "projects/<int:project_id>/endpoints/<int:endpoint_id>/comments/<int:comment_id>/resolve/",
        api.CommentResolve.as_view(),
    ),
    path(
        "projects/<int:project_id>/endpoints/<int:endpoint_id>/comments/<int:comment_id>/reopen/",
        api.CommentReopen.as_view(),
    ),
    path("projects/<int:project_id>/events/", api.ProjectEvents.as_view()),
]
