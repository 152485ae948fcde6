"""Template filters over zlv.utils.numbers, so that templates write numbers and plurals as views do.

{{ total|number }}                         → 1 310
{{ count|plural:"sélectionné,sélectionnés" }} → sélectionné (0 or 1), sélectionnés
{{ count|count:"logement,logements" }}     → 0 logement, 1 310 logements
"""

from django import template

from zlv.utils.numbers import count_phrase, format_number, plural

register = template.Library()


def _forms(forms: str) -> tuple[str, str]:
    singular, plural_form = forms.split(",")
    return singular, plural_form


@register.filter(name="number")
def number_filter(value) -> str:
    """Nothing for a missing value, as Django's own filters do, rather than a server error."""
    return "" if value in (None, "") else format_number(value)


@register.filter(name="plural")
def plural_filter(value, forms: str) -> str:
    return plural(value, *_forms(forms))


@register.filter(name="count")
def count_filter(value, forms: str) -> str:
    return count_phrase(value, *_forms(forms))
