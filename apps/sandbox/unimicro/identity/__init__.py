"""The Unimicro sandbox's identity server (IdentityServer as Unimicro runs it): discovery,
login/organisation/consent pages, tokens, JWKS. Served under /sandbox/unimicro/identity/."""
