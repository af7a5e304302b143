app_name = "capture"
urlpatterns: list = []
