from rest_framework import viewsets


class WorkTypeViewSet(viewsets.GenericViewSet):
    pass
