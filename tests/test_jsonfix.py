"""JSON replies repaired in one place (app/llm/jsonfix.py): what the HTTP backend, the stub and the
stance code get from a model's text, worked examples small enough to follow by hand."""

from __future__ import annotations

import json

import pytest

from app.llm.jsonfix import constrained_reply, parse_json_reply, repair_json_reply
from app.llm.stub import StubModel

SCHEMA = {
    "type": "object",
    "properties": {
        "viewpoint": {"type": "string", "maxLength": 20},
        "stance": {"type": "string", "enum": ["supports", "opposes", "mixed"]},
    },
    "required": ["viewpoint", "stance"],
}


@pytest.mark.parametrize("text, value, problem", [
    ('{"viewpoint": "It agrees.", "stance": "supports"}', {"viewpoint": "It agrees.", "stance": "supports"}, None),
    ('Sure! {"viewpoint": "No.", "stance": "opposes"} Hope that helps.', {"viewpoint": "No.", "stance": "opposes"}, "text around the JSON dropped"),
    ('{"viewpoint": "It says', {"viewpoint": "It says", "stance": "supports"}, "cut-off JSON closed"),
    ('{"viewpoint": "x", "stance": "Opposes"}', {"viewpoint": "x", "stance": "opposes"}, "stance 'Opposes' read as 'opposes'"),
    ('{"viewpoint": "x", "stance": "I think it is mixed"}', {"viewpoint": "x", "stance": "mixed"}, "read as 'mixed'"),
    ('{"viewpoint": "a viewpoint far longer than twenty", "stance": "mixed"}', {"viewpoint": "a viewpoint far long", "stance": "mixed"}, None),
    ('{"viewpoint": "x", "stance": "maybe"}', {"viewpoint": "x", "stance": "supports"}, "not one of"),
    ("no JSON at all", {"viewpoint": "", "stance": "supports"}, "unparseable JSON"),
])
def test_repair_gives_a_schema_valid_value_and_says_what_it_fixed(text, value, problem):
    got, problems = repair_json_reply(text, SCHEMA)
    assert got == value
    if problem is None:
        assert problems == []
    else:
        assert any(problem in p for p in problems), problems


def test_parse_leaves_out_what_does_not_fit_and_invents_nothing():
    assert parse_json_reply('{"viewpoint": "It says no.", "stance": "opposes"}', SCHEMA) == {"viewpoint": "It says no.", "stance": "opposes"}
    assert parse_json_reply('{"viewpoint": "It says', SCHEMA) == {"viewpoint": "It says"}  # cut off: no stance, none made up
    assert parse_json_reply('{"viewpoint": "x", "stance": "maybe"}', SCHEMA) == {"viewpoint": "x"}
    assert parse_json_reply('{"stance": "OPPOSES"}', SCHEMA) == {"stance": "opposes"}
    assert parse_json_reply("The article opposes it.", SCHEMA) is None
    assert parse_json_reply("", SCHEMA) is None


def test_constrained_reply_marks_repairs_unless_extra_keys_are_forbidden():
    text, note = constrained_reply('Answer: {"viewpoint": "x", "stance": "Supports"}', SCHEMA)
    obj = json.loads(text)
    assert obj["stance"] == "supports" and obj["_repaired"] == note and "read as 'supports'" in note
    strict = {**SCHEMA, "additionalProperties": False}
    text, note = constrained_reply('{"viewpoint": "x", "stance": "Supports", "extra": 1}', strict)
    assert json.loads(text) == {"viewpoint": "x", "stance": "supports"} and note
    text, note = constrained_reply('{"viewpoint": "x", "stance": "mixed"}', SCHEMA)
    assert json.loads(text) == {"viewpoint": "x", "stance": "mixed"} and note == ""


def test_the_stub_repairs_a_queued_reply_to_fit_the_schema_it_was_given():
    stub = StubModel()
    stub.enqueue('{"viewpoint": "cut off', "plain text, no schema asked")
    obj = json.loads("".join(stub.generate([{"role": "user", "content": "q"}], schema=SCHEMA)))
    assert obj["viewpoint"] == "cut off" and obj["stance"] in SCHEMA["properties"]["stance"]["enum"] and "cut-off" in obj["_repaired"]
    assert "".join(stub.generate([{"role": "user", "content": "q"}])) == "plain text, no schema asked"


@pytest.mark.parametrize("cut", ['{"', '{"view', '{"viewpoint', '{"viewpoint":', '{"viewpoint": "It', '{"viewpoint": "It", "sta'])
def test_a_reply_cut_anywhere_is_closed_never_unparseable(cut):
    got, problems = repair_json_reply(cut, SCHEMA)
    assert set(got) == {"viewpoint", "stance"} and got["stance"] in SCHEMA["properties"]["stance"]["enum"]
    assert "cut-off JSON closed" in problems
