"""The test provider's claims: the standard ones from the user, and ``department`` from the user's first group."""

from __future__ import annotations

from oauth2_provider.oauth2_validators import OAuth2Validator


class ClaimsValidator(OAuth2Validator):
    """django-oauth-toolkit's validator with a company's claims (``department`` comes with the profile scope)."""

    oidc_claim_scope = {**OAuth2Validator.oidc_claim_scope, "department": "profile"}

    def get_additional_claims(self, request):
        """Names, email, username and department of the signed-in user."""
        user = request.user
        group = user.groups.order_by("id").first()
        return {
            "preferred_username": user.username,
            "given_name": user.first_name,
            "family_name": user.last_name,
            "name": f"{user.first_name} {user.last_name}".strip(),
            "email": user.email,
            "department": group.name if group else "",
        }
