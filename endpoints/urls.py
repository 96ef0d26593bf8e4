from django.urls import include, path

from endpoints.activity.api import (
    CommentDetail,
    CommentListCreate,
    CommentReopen,
    CommentResolve,
    EndpointHistory,
    EndpointRevert,
    EndpointRevisionDetail,
    FolderHistory,
    ProjectEvents,
)
from endpoints.environments.api import (
    EndpointPreview,
    EndpointVariables,
    EnvironmentDetail,
    EnvironmentListCreate,
    VariableCurrentValue,
    VariableDetail,
    VariableListCreate,
)
from endpoints.projects.api import MemberDetail, MemberListCreate, ProjectDetail, ProjectListCreate
from endpoints.tree.api import (
    EndpointBatch,
    EndpointDetail,
    EndpointListCreate,
    FolderDetail,
    FolderListCreate,
    TagDetail,
    TagListCreate,
    Tree,
)

urlpatterns = [
    path("projects/", ProjectListCreate.as_view()),
    path("projects/<int:project_id>/", ProjectDetail.as_view()),
    path("projects/<int:project_id>/members/", MemberListCreate.as_view()),
    path("projects/<int:project_id>/members/<int:user_id>/", MemberDetail.as_view()),
    path("projects/<int:project_id>/folders/", FolderListCreate.as_view()),
    path("projects/<int:project_id>/folders/<int:folder_id>/", FolderDetail.as_view()),
    path("projects/<int:project_id>/endpoints/", EndpointListCreate.as_view()),
    path("projects/<int:project_id>/endpoints/batch/", EndpointBatch.as_view()),
    path("projects/<int:project_id>/endpoints/<int:endpoint_id>/", EndpointDetail.as_view()),
    path("projects/<int:project_id>/tree/", Tree.as_view()),
    path("projects/<int:project_id>/tags/", TagListCreate.as_view()),
    path("projects/<int:project_id>/tags/<int:tag_id>/", TagDetail.as_view()),
    path("projects/<int:project_id>/share-links/", include("docs_app.api_urls")),
    path("projects/<int:project_id>/environments/", EnvironmentListCreate.as_view()),
    path(
        "projects/<int:project_id>/environments/<int:environment_id>/",
        EnvironmentDetail.as_view(),
    ),
    path("projects/<int:project_id>/variables/", VariableListCreate.as_view()),
    path("projects/<int:project_id>/variables/<int:variable_id>/", VariableDetail.as_view()),
    path(
        "projects/<int:project_id>/variables/<int:variable_id>/current/",
        VariableCurrentValue.as_view(),
    ),
    path(
        "projects/<int:project_id>/endpoints/<int:endpoint_id>/variables/",
        EndpointVariables.as_view(),
    ),
    path(
        "projects/<int:project_id>/endpoints/<int:endpoint_id>/preview/",
        EndpointPreview.as_view(),
    ),
    path(
        "projects/<int:project_id>/endpoints/<int:endpoint_id>/history/",
        EndpointHistory.as_view(),
    ),
    path(
        "projects/<int:project_id>/endpoints/<int:endpoint_id>/history/<int:revision_id>/",
        EndpointRevisionDetail.as_view(),
    ),
    path(
        "projects/<int:project_id>/endpoints/<int:endpoint_id>/history/<int:revision_id>/revert/",
        EndpointRevert.as_view(),
    ),
    path("projects/<int:project_id>/folders/<int:folder_id>/history/", FolderHistory.as_view()),
    path(
        "projects/<int:project_id>/endpoints/<int:endpoint_id>/comments/",
        CommentListCreate.as_view(),
    ),
    path(
        "projects/<int:project_id>/endpoints/<int:endpoint_id>/comments/<int:comment_id>/",
        CommentDetail.as_view(),
    ),
    path(
        "projects/<int:project_id>/endpoints/<int:endpoint_id>/comments/<int:comment_id>/resolve/",
        CommentResolve.as_view(),
    ),
    path(
        "projects/<int:project_id>/endpoints/<int:endpoint_id>/comments/<int:comment_id>/reopen/",
        CommentReopen.as_view(),
    ),
    path("projects/<int:project_id>/events/", ProjectEvents.as_view()),
]
