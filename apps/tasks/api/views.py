from rest_framework import viewsets


class TaskViewSet(viewsets.GenericViewSet):
    pass
