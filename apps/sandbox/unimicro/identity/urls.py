"""The identity server's paths (issuer = <base>/sandbox/unimicro/identity)."""

urlpatterns: list = []
