"""Requests refused before any view: the one place where the pages and the API meet every input."""

from django.http import JsonResponse
from django.shortcuts import render

from zlv.utils.text import CONTROL_CHARACTERS_MESSAGE, has_control_characters


class ControlCharactersMiddleware:
    """Refuse a path, query-string or form value holding a control character (see zlv/utils/text.py):
    a French page (400), or for the API a JSON 422. JSON bodies are checked by the API's schemas."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        field = tainted_field(request)
        if field is None:
            return self.get_response(request)
        if request.path.startswith("/api/"):
            return JsonResponse(
                {"detail": CONTROL_CHARACTERS_MESSAGE, "errors": {field: CONTROL_CHARACTERS_MESSAGE}},
                status=422,
            )
        return render(request, "control_characters.html", {"message": CONTROL_CHARACTERS_MESSAGE}, status=400)


def tainted_field(request) -> str | None:
    """The name of the first input holding a control character ("path" for the address itself)."""
    if has_control_characters(request.path):
        return "path"
    sources = [request.GET]
    if request.method == "POST":
        sources.append(request.POST)
    for values in sources:
        for name, items in values.lists():
            if has_control_characters(name) or any(has_control_characters(item) for item in items):
                return name
    return None
