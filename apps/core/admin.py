from django.contrib import admin
from django.utils.translation import gettext_lazy as _

admin.site.site_header = _("Tidsbro")
admin.site.site_title = _("Tidsbro")
admin.site.index_title = _("Time registration and ERP sync")
