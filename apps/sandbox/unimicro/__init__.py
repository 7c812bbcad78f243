"""A faithful emulator of Unimicro's API (`/sandbox/unimicro/api/…`) and, in `identity`, of
its OpenID Connect identity server (`/sandbox/unimicro/identity/…`). See README.md."""
