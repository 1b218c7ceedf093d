"""File serving and project badges of an annotation tool: a file under a local storage root is served to users
who may read that storage's project; the dashboard shows whether any storage of the instance is archived."""

import os

from django.db.models import CharField, F, Value
from django.http import FileResponse, HttpResponseForbidden, HttpResponseNotFound
from rest_framework.decorators import api_view

from storages.models import LocalStorage, Membership


@api_view(["GET"])
def serve_local_file(request):
    path = request.GET.get("d", "")
    folder = os.path.normpath(os.path.dirname(path))
    storages = LocalStorage.objects.annotate(_full=Value(folder, output_field=CharField())).filter(_full__startswith=F("path"))
    allowed = any(
        s.project.has_permission(request.user)  # quiet: the few storages whose root prefixes this one path, and any() stops at the first that allows it: about one query per request
        for s in storages
    )
    if not allowed:
        return HttpResponseForbidden()
    if not os.path.exists(path):
        return HttpResponseNotFound()
    return FileResponse(open(path, "rb"))


def first_team(user):
    return next((m.team for m in Membership.objects.filter(user=user) if m.team.is_active), None)  # quiet: one user's memberships, next() stops at the first active team


@api_view(["GET"])
def archive_badge(request):
    archived = any(s.project.organization.archived for s in LocalStorage.objects.all())  # expect: n-plus-one-query -- when none is archived the check walks every storage of the instance and loads its project and organization one query each
    return {"archived": archived}
