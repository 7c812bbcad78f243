from rest_framework import viewsets


class ProjectViewSet(viewsets.GenericViewSet):
    pass
