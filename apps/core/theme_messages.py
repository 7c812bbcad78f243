"""Messages of the admin theme (django-unfold) that it ships without any translation.

django-unfold 0.91 has no catalogues of its own, so without these its buttons and hints (theme
switch, empty list, action bar, search box) stay English on Norwegian, Swedish and Danish screens.
Listing them here puts them in our catalogues (`make messages`); nothing imports this module.
"""

from django.utils.translation import gettext_noop

THEME_MESSAGES = (
    gettext_noop("After you've created a user, you’ll be able to edit more user options."),
    gettext_noop("All applications"),
    gettext_noop("Apply Filters"),
    gettext_noop("Choose file to upload"),
    gettext_noop("Click to cancel"),
    gettext_noop("Click to download"),
    gettext_noop("Dark"),
    gettext_noop("Expand row"),
    gettext_noop("False"),
    gettext_noop("Filter navigation items"),
    gettext_noop("General"),
    gettext_noop("Go back"),
    gettext_noop("Hide counts"),
    gettext_noop("Image preview"),
    gettext_noop("Light"),
    gettext_noop("Loading more results..."),
    gettext_noop("More actions"),
    gettext_noop("No data"),
    gettext_noop("No recent searches"),
    gettext_noop("No results found"),
    gettext_noop("No results matching your query"),
    gettext_noop("Previous"),
    gettext_noop("Recent searches"),
    gettext_noop("Record picture"),
    gettext_noop("Reset filters"),
    gettext_noop("Return to site"),
    gettext_noop("Run"),
    gettext_noop("Search apps and models..."),
    gettext_noop("Select action"),
    gettext_noop("Select action to run"),
    gettext_noop("Select all objects on this page for an action"),
    gettext_noop("Select all rows"),
    gettext_noop("Select value"),
    gettext_noop("Show counts"),
    gettext_noop("System"),
    gettext_noop("Thanks for spending some quality time with the web site today."),
    gettext_noop("This item will be deleted."),
    gettext_noop("This page yielded into no results. Create a new item or reset your filters."),
    gettext_noop("Toggle password visibility"),
    gettext_noop("True"),
    gettext_noop("Type to search"),
    gettext_noop("Welcome"),
    gettext_noop("Welcome back to"),
    gettext_noop("You have been successfully logged out from the administration"),
)
