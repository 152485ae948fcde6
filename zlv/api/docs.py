"""The API documentation page (/api/v1/docs): Swagger UI from our own static files, started by a
static script with the request's CSP nonce, so the page renders under our CSP (no CDN, no inline
script). The vendored copy is described in zlv/www/static/vendor/swagger-ui-dist-*/README."""

from django.shortcuts import render
from ninja.openapi.docs import DocsBase

SWAGGER_UI = "vendor/swagger-ui-dist-5.35.0"


class SwaggerFromStatic(DocsBase):
    def render_page(self, request, api, **kwargs):
        settings = {
            "url": self.get_openapi_url(api, kwargs),
            "deepLinking": True,
            # Swagger UI's default validator badge is an image from a third-party host.
            "validatorUrl": None,
        }
        context = {"api_title": api.title, "swagger_ui": SWAGGER_UI, "swagger_settings": settings}
        return render(request, "api/docs.html", context)
