from django.urls import path

from mocks.api import (
    MockBehaviourDetail,
    MockConnectionList,
    MockFrameList,
    MockKeyRotate,
    MockSettingsDetail,
)

R = "projects/<int:project_id>/"
E = R + "endpoints/<int:endpoint_id>/mock/"

urlpatterns = [
    path(R + "mock/", MockSettingsDetail.as_view()),
    path(R + "mock/rotate-key/", MockKeyRotate.as_view()),
    path(E, MockBehaviourDetail.as_view()),
    path(E + "connections/", MockConnectionList.as_view()),
    path(E + "connections/<int:connection_id>/frames/", MockFrameList.as_view()),
]
