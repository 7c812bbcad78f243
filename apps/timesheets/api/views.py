from rest_framework import viewsets


class TimeEntryViewSet(viewsets.GenericViewSet):
    pass
