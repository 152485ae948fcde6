from decimal import Decimal

import pytest
from django.template import Context, Template

from zlv.utils.numbers import count_phrase, format_number, plural


@pytest.mark.parametrize(
    ("number", "text"),
    [
        (0, "0"),
        (999, "999"),
        (1310, "1\u202f310"),
        (1_234_567, "1\u202f234\u202f567"),
        (Decimal("85000.00"), "85\u202f000"),
    ],
)
def test_numbers_are_grouped_by_thousands_with_a_narrow_no_break_space(number, text):
    assert format_number(number) == text


@pytest.mark.parametrize(
    ("number", "word"), [(0, "logement"), (1, "logement"), (2, "logements"), (1310, "logements")]
)
def test_zero_and_one_take_the_singular(number, word):
    assert plural(number, "logement", "logements") == word


def test_count_phrase_writes_the_number_and_the_agreeing_word():
    assert count_phrase(0, "logement", "logements") == "0 logement"
    assert count_phrase(1310, "propriétaire", "propriétaires") == "1\u202f310 propriétaires"


def test_template_filters_say_the_same():
    template = Template(
        "{% load zlv_format %}"
        '{{ n|number }}|{{ n|count:"logement,logements" }} {{ n|plural:"trouvé,trouvés" }}'
    )

    assert template.render(Context({"n": 0})) == "0|0 logement trouvé"
    assert template.render(Context({"n": 1310})) == "1\u202f310|1\u202f310 logements trouvés"


def test_number_filter_writes_nothing_for_a_missing_value():
    assert Template("{% load zlv_format %}[{{ n|number }}]").render(Context({"n": None})) == "[]"
