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
from endpoints.asyncapi.api import AsyncApiImport, AsyncApiJson, AsyncApiYaml
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
from endpoints.schemas.api import SchemaDetail, SchemaGenerate, SchemaListCreate
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

# Every route below is in one project, most of them in one endpoint of it.
P = "projects/<int:project_id>/"
E = P + "endpoints/<int:endpoint_id>/"

urlpatterns = [
    path("projects/", ProjectListCreate.as_view()),
    path(P, ProjectDetail.as_view()),
    path(P + "members/", MemberListCreate.as_view()),
    path(P + "members/<int:user_id>/", MemberDetail.as_view()),
    path(P + "folders/", FolderListCreate.as_view()),
    path(P + "folders/<int:folder_id>/", FolderDetail.as_view()),
    path(P + "endpoints/", EndpointListCreate.as_view()),
    path(P + "endpoints/batch/", EndpointBatch.as_view()),
    path(E, EndpointDetail.as_view()),
    path(P + "tree/", Tree.as_view()),
    path(P + "tags/", TagListCreate.as_view()),
    path(P + "tags/<int:tag_id>/", TagDetail.as_view()),
    path(P + "share-links/", include("docs_app.api_urls")),
    path(P + "environments/", EnvironmentListCreate.as_view()),
    path(P + "environments/<int:environment_id>/", EnvironmentDetail.as_view()),
    path(P + "variables/", VariableListCreate.as_view()),
    path(P + "variables/<int:variable_id>/", VariableDetail.as_view()),
    path(P + "variables/<int:variable_id>/current/", VariableCurrentValue.as_view()),
    path(E + "variables/", EndpointVariables.as_view()),
    path(E + "preview/", EndpointPreview.as_view()),
    path(E + "history/", EndpointHistory.as_view()),
    path(E + "history/<int:revision_id>/", EndpointRevisionDetail.as_view()),
    path(E + "history/<int:revision_id>/revert/", EndpointRevert.as_view()),
    path(P + "folders/<int:folder_id>/history/", FolderHistory.as_view()),
    path(E + "comments/", CommentListCreate.as_view()),
    path(E + "comments/<int:comment_id>/", CommentDetail.as_view()),
    path(E + "comments/<int:comment_id>/resolve/", CommentResolve.as_view()),
    path(E + "comments/<int:comment_id>/reopen/", CommentReopen.as_view()),
    path(P + "events/", ProjectEvents.as_view()),
    path(P + "schemas/", SchemaListCreate.as_view()),
    path(P + "schemas/generate/", SchemaGenerate.as_view()),
    path(P + "schemas/<int:schema_id>/", SchemaDetail.as_view()),
    path(P + "asyncapi.yaml", AsyncApiYaml.as_view()),
    path(P + "asyncapi.json", AsyncApiJson.as_view()),
    path(P + "asyncapi/import/", AsyncApiImport.as_view()),
]
