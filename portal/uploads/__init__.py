"""The one upload service: content-checked PDF/JPEG/PNG, stored by SHA-256, served only
through an authorised route."""
