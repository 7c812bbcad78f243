"""The API's paths (API base = <base>/sandbox/unimicro): /api/init/…, /api/biz/…"""

urlpatterns: list = []
