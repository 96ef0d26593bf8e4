from django.urls import path

from accounts import api

urlpatterns = [
    path("auth/tokens/", api.TokenListCreate.as_view()),
    path("auth/tokens/<int:token_id>/", api.TokenDetail.as_view()),
    path("auth/me/", api.Me.as_view()),
    path("auth/signup/", api.Signup.as_view()),
]
