"""My calendar and the week's suggestion buttons (admin views)."""
