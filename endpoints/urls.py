from django.urls import path

from endpoints import api

urlpatterns = [
    path("auth/tokens/", api.TokenListCreate.as_view()),
    path("auth/tokens/<int:token_id>/", api.TokenDetail.as_view()),
    path("auth/me/", api.Me.as_view()),
    path("auth/signup/", api.Signup.as_view()),
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
]
