from __future__ import annotations

# Models arrive with this app's issue; the app is registered so that its migrations and URLs have a home.
